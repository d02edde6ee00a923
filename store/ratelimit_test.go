package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReserveRequest(t *testing.T) {
	t.Parallel()
	forEachBackendURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		// Two Stores on one database: the bucket is the cluster's.
		a, b := openT(t, url), openT(t, url)
		reserve := func(s *Store, now time.Time) time.Duration {
			t.Helper()
			d, err := s.ReserveRequest(ctx, "livechat", 10, 3, now)
			require.NoError(t, err)
			return d
		}
		// A burst of 3 leaves at once, whichever replica asks; then one
		// request per 100 ms, queued in the order of reservation.
		assert.Equal(t, time.Duration(0), reserve(a, t0))
		assert.Equal(t, time.Duration(0), reserve(b, t0))
		assert.Equal(t, time.Duration(0), reserve(a, t0))
		assert.Equal(t, 100*time.Millisecond, reserve(b, t0))
		assert.Equal(t, 200*time.Millisecond, reserve(a, t0))
		// 50 ms later the queue is 50 ms shorter.
		assert.Equal(t, 250*time.Millisecond, reserve(b, t0.Add(50*time.Millisecond)))
		// After a quiet second the bucket is full again, but never more
		// than the burst.
		later := t0.Add(10 * time.Second)
		for range 3 {
			assert.Equal(t, time.Duration(0), reserve(a, later))
		}
		assert.Equal(t, 100*time.Millisecond, reserve(b, later))

		// Another name is another bucket.
		d, err := a.ReserveRequest(ctx, "other", 10, 1, later)
		require.NoError(t, err)
		assert.Equal(t, time.Duration(0), d)

		// A clock that went back only makes the caller wait longer.
		assert.Equal(t, 1200*time.Millisecond, reserve(b, later.Add(-time.Second)))
	})
}

// TestReserveRequestConcurrent checks that concurrent reservations from two
// replicas are serialised: n reservations at one instant are spread one
// interval apart after the burst, each slot given once.
func TestReserveRequestConcurrent(t *testing.T) {
	t.Parallel()
	forEachBackendURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		stores := []*Store{openT(t, url), openT(t, url)}
		const n, burst = 12, 4
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			waits = map[time.Duration]int{}
		)
		for i := range n {
			wg.Go(func() {
				d, err := stores[i%2].ReserveRequest(ctx, "livechat", 20, burst, t0)
				assert.NoError(t, err)
				mu.Lock()
				waits[d]++
				mu.Unlock()
			})
		}
		wg.Wait()
		assert.Equal(t, burst, waits[0])
		for i := 1; i <= n-burst; i++ {
			assert.Equal(t, 1, waits[time.Duration(i)*50*time.Millisecond], "slot %d", i)
		}
	})
}

func TestReserveRequestRefusesBadArguments(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for _, c := range []struct {
			name  string
			limit float64
			burst int
		}{{"", 10, 1}, {"x", 0, 1}, {"x", -1, 1}, {"x", 10, 0}} {
			_, err := s.ReserveRequest(ctx, c.name, c.limit, c.burst, t0)
			assert.Error(t, err, "%+v", c)
		}
	})
}
