package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPostgresPoolSize: pool_max_conns bounds the connections a store
// opens (PostgreSQL counts them), is not sent to the server (which would
// refuse an unknown setting), and defaults to defaultPoolMaxConns.
func TestPostgresPoolSize(t *testing.T) {
	t.Parallel()
	base := strings.TrimSuffix(pgSchemaURL(t), pgTestPool)
	app := fmt.Sprintf("lcd_pool_%d", time.Now().UnixNano())
	s := openT(t, base+"&application_name="+app+"&pool_max_conns=3")
	assert.Equal(t, 3, s.rw.Stats().MaxOpenConnections)

	// Twenty transactions at once, each holding its connection until all
	// have started or the pool is seen full: the fourth must wait.
	ctx := context.Background()
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			assert.NoError(t, s.HoldFiring(ctx, t0.Add(time.Duration(i)*time.Minute), "o", t0.Add(time.Hour)))
		})
	}
	peak := 0
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	admin := openT(t, base+"&pool_max_conns=1")
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		default:
		}
		var c int
		require.NoError(t, admin.ro.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&c))
		peak = max(peak, c)
	}
	assert.LessOrEqual(t, peak, 3, "connections PostgreSQL saw from the store")
	assert.Positive(t, peak)

	d := openT(t, base)
	assert.Equal(t, defaultPoolMaxConns, d.rw.Stats().MaxOpenConnections)
}

func TestPoolMaxConnsRefusesBadValues(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"0", "-1", "x", "1001", "2.5", ""} {
		_, err := open("postgres://u:pw-Qx71@127.0.0.1:1/db?sslmode=disable&pool_max_conns=" + v)
		require.Error(t, err, v)
		assert.Contains(t, err.Error(), "pool_max_conns must be a whole number", v)
		assert.True(t, strings.HasPrefix(err.Error(), "store: "), err.Error())
		assert.NotContains(t, err.Error(), "pw-Qx71")
	}
}
