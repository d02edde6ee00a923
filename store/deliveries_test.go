package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func delivery(key string, created time.Time) Delivery {
	return Delivery{
		Key: key, Job: "weekly", FiringAt: t0, Kind: "digest", Channel: "email",
		Target: "leads@example.com", Payload: []byte("payload " + key), CreatedAt: created,
	}
}

func TestEnqueueDedup(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		d := delivery("weekly|2026-03-08T14:15:00Z|email:leads", t0)
		n, err := s.Enqueue(ctx, []Delivery{d})
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		n, err = s.Enqueue(ctx, []Delivery{d})
		require.NoError(t, err)
		assert.Equal(t, 0, n, "the same key twice is stored once")

		// A batch with one old and one new key adds one.
		n, err = s.Enqueue(ctx, []Delivery{d, delivery("other", t0)})
		require.NoError(t, err)
		assert.Equal(t, 1, n)

		all, err := s.Deliveries(ctx, DeliveryFilter{})
		require.NoError(t, err)
		require.Len(t, all, 2)
		got := all[1] // newest first
		assert.Equal(t, d.Key, got.Key)
		assert.Equal(t, DeliveryQueued, got.Status)
		assert.Equal(t, t0.UTC(), got.NextAttemptAt, "next attempt defaults to created_at")
		assert.Equal(t, t0.UTC(), got.CreatedAt)
		assert.Equal(t, t0.UTC(), got.FiringAt)
		assert.Equal(t, d.Payload, got.Payload)
		assert.Equal(t, "email", got.Channel)
		assert.Equal(t, "leads@example.com", got.Target)
		assert.Equal(t, "digest", got.Kind)
		assert.Zero(t, got.Attempts)
		assert.Empty(t, got.ClaimedBy)
		assert.True(t, got.ClaimedUntil.IsZero())
		assert.True(t, got.SentAt.IsZero())

		n, err = s.Enqueue(ctx, nil)
		require.NoError(t, err)
		assert.Zero(t, n)
		_, err = s.Enqueue(ctx, []Delivery{{Key: "no created_at", Job: "j"}})
		assert.ErrorContains(t, err, "required")
	})
}

func TestEnqueueIsAtomic(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := s.Enqueue(ctx, []Delivery{delivery("a", t0), delivery("b", t0)})
		require.Error(t, err)
		all, err := s.Deliveries(context.Background(), DeliveryFilter{})
		require.NoError(t, err)
		assert.Empty(t, all)
	})
}

func TestClaimDueAndLeases(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		later := delivery("later", t0)
		later.NextAttemptAt = t0.Add(time.Hour)
		_, err := s.Enqueue(ctx, []Delivery{delivery("first", t0), delivery("second", t0.Add(time.Second)), later})
		require.NoError(t, err)

		got, err := s.Claim(ctx, "w1", t0.Add(time.Minute), 30*time.Second, 10)
		require.NoError(t, err)
		require.Len(t, got, 2, "only due deliveries are claimed")
		assert.Equal(t, "first", got[0].Key, "oldest due first")
		assert.Equal(t, "second", got[1].Key)
		for _, d := range got {
			assert.Equal(t, DeliverySending, d.Status)
			assert.Equal(t, "w1", d.ClaimedBy)
			assert.Equal(t, t0.Add(90*time.Second).UTC(), d.ClaimedUntil)
		}

		// While the leases hold, nobody else gets them.
		again, err := s.Claim(ctx, "w2", t0.Add(90*time.Second), 30*time.Second, 10)
		require.NoError(t, err)
		assert.Empty(t, again)

		// w1 sends the first and dies holding the second; its lease runs out.
		require.NoError(t, s.MarkSent(ctx, got[0].ID, "w1", t0.Add(70*time.Second)))
		again, err = s.Claim(ctx, "w2", t0.Add(91*time.Second), 30*time.Second, 10)
		require.NoError(t, err)
		require.Len(t, again, 1)
		assert.Equal(t, "second", again[0].Key)
		assert.Equal(t, "w2", again[0].ClaimedBy)

		// w1 comes back: it no longer holds the delivery.
		err = s.MarkSent(ctx, got[1].ID, "w1", t0.Add(92*time.Second))
		assert.ErrorIs(t, err, ErrLeaseLost)
		assert.ErrorIs(t, s.MarkRetry(ctx, got[1].ID, "w1", 1, t0, "x"), ErrLeaseLost)
		assert.ErrorIs(t, s.MarkFailed(ctx, got[1].ID, "w1", 1, "x"), ErrLeaseLost)
		require.NoError(t, s.MarkSent(ctx, again[0].ID, "w2", t0.Add(92*time.Second)))
		// Sent stays sent: no second MarkSent, not even by its owner.
		assert.ErrorIs(t, s.MarkSent(ctx, again[0].ID, "w2", t0.Add(93*time.Second)), ErrLeaseLost)
		assert.ErrorIs(t, s.MarkSent(ctx, 424242, "w2", t0), ErrNotFound)

		sent, err := s.Deliveries(ctx, DeliveryFilter{Status: DeliverySent})
		require.NoError(t, err)
		require.Len(t, sent, 2)
		assert.Equal(t, t0.Add(92*time.Second).UTC(), sent[0].SentAt)
		assert.Equal(t, 1, sent[0].Attempts)

		later2, err := s.Claim(ctx, "w3", t0.Add(time.Hour), time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, later2, 1)
		assert.Equal(t, "later", later2[0].Key)

		_, err = s.Claim(ctx, "w3", t0, time.Minute, 0)
		assert.Error(t, err)
	})
}

// Several workers in several Stores (as several replicas) claim from one
// queue at once: every delivery goes to exactly one of them.
func TestClaimNoDoubleClaim(t *testing.T) {
	t.Parallel()
	forEachBackendURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		stores := []*Store{openT(t, url), openT(t, url), openT(t, url)}
		const total = 100
		ds := make([]Delivery, total)
		for i := range ds {
			ds[i] = delivery(fmt.Sprintf("k%03d", i), t0.Add(time.Duration(i)*time.Millisecond))
		}
		n, err := stores[0].Enqueue(ctx, ds)
		require.NoError(t, err)
		require.Equal(t, total, n)

		const workers = 9
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			seen = map[int64]string{}
			dup  []string
		)
		now := t0.Add(time.Minute)
		for w := range workers {
			wg.Go(func() {
				owner := fmt.Sprintf("worker-%d", w)
				s := stores[w%len(stores)]
				for {
					got, err := s.Claim(ctx, owner, now, time.Minute, 7)
					if !assert.NoError(t, err) || len(got) == 0 {
						return
					}
					for _, d := range got {
						assert.NoError(t, s.MarkSent(ctx, d.ID, owner, now))
						mu.Lock()
						if prev, ok := seen[d.ID]; ok {
							dup = append(dup, fmt.Sprintf("%s: %s and %s", d.Key, prev, owner))
						}
						seen[d.ID] = owner
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		assert.Empty(t, dup, "deliveries claimed twice")
		assert.Len(t, seen, total)
		depth, err := stores[0].QueueDepth(ctx)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{DeliveryQueued: 0, DeliverySending: 0, DeliverySent: total, DeliveryFailed: 0, DeliveryDropped: 0}, depth)
	})
}

func TestRetryFailRequeue(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		b := delivery("b", t0)
		b.Target = "other@example.com" // another destination: a's backoff does not hold it
		_, err := s.Enqueue(ctx, []Delivery{delivery("a", t0), b})
		require.NoError(t, err)

		got, err := s.Claim(ctx, "w", t0, time.Minute, 1)
		require.NoError(t, err)
		require.Len(t, got, 1)
		a := got[0]
		require.NoError(t, s.MarkRetry(ctx, a.ID, "w", 1, t0.Add(10*time.Second), "slack: 503"))

		depth, err := s.QueueDepth(ctx)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{DeliveryQueued: 2, DeliverySending: 0, DeliverySent: 0, DeliveryFailed: 0, DeliveryDropped: 0}, depth)

		// Not due before its backoff: only b comes.
		got, err = s.Claim(ctx, "w", t0.Add(5*time.Second), time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, "b", got[0].Key)
		depth, err = s.QueueDepth(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, depth[DeliverySending])
		require.NoError(t, s.MarkSent(ctx, got[0].ID, "w", t0.Add(6*time.Second)))

		got, err = s.Claim(ctx, "w", t0.Add(10*time.Second), time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, "a", got[0].Key)
		assert.Equal(t, 1, got[0].Attempts)
		assert.Equal(t, "slack: 503", got[0].LastError)
		require.NoError(t, s.MarkFailed(ctx, a.ID, "w", 5, "slack: 503 after 5 attempts"))

		failed, err := s.Deliveries(ctx, DeliveryFilter{Job: "weekly", Status: DeliveryFailed, Limit: 10})
		require.NoError(t, err)
		require.Len(t, failed, 1)
		assert.Equal(t, 5, failed[0].Attempts)
		assert.Equal(t, "slack: 503 after 5 attempts", failed[0].LastError)
		assert.Empty(t, failed[0].ClaimedBy)
		assert.True(t, failed[0].ClaimedUntil.IsZero())

		// Failed deliveries are not claimed until requeued at start-up.
		got, err = s.Claim(ctx, "w", t0.Add(time.Hour), time.Minute, 10)
		require.NoError(t, err)
		assert.Empty(t, got)
		restart := t0.Add(2 * time.Hour)
		n, err := s.RequeueFailed(ctx, RequeueFilter{}, restart)
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		got, err = s.Claim(ctx, "w2", restart, time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, "a", got[0].Key)
		assert.Equal(t, restart.UTC(), got[0].NextAttemptAt)
		assert.Equal(t, 5, got[0].Attempts, "attempts are history, kept on requeue")
		n, err = s.RequeueFailed(ctx, RequeueFilter{}, restart)
		require.NoError(t, err)
		assert.Zero(t, n)
	})
}

func TestDeliveriesFilter(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		other := delivery("o1", t0)
		other.Job = "frt-watch"
		other.Kind = "alert"
		_, err := s.Enqueue(ctx, []Delivery{delivery("w1", t0), delivery("w2", t0), other})
		require.NoError(t, err)
		tests := []struct {
			name string
			f    DeliveryFilter
			want []string
		}{
			{"all newest first", DeliveryFilter{}, []string{"o1", "w2", "w1"}},
			{"job", DeliveryFilter{Job: "weekly"}, []string{"w2", "w1"}},
			{"job and limit", DeliveryFilter{Job: "weekly", Limit: 1}, []string{"w2"}},
			{"status", DeliveryFilter{Status: DeliveryQueued, Limit: 2}, []string{"o1", "w2"}},
			{"nothing", DeliveryFilter{Status: DeliverySent}, nil},
		}
		for _, tt := range tests {
			got, err := s.Deliveries(ctx, tt.f)
			require.NoError(t, err, tt.name)
			var keys []string
			for _, d := range got {
				keys = append(keys, d.Key)
			}
			assert.Equal(t, tt.want, keys, tt.name)
		}
	})
}

func TestRecordSavesDeliveriesAndAlertsTogether(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		v := 75.5
		alert := AlertState{Job: "weekly", Key: "frt above 60", Firing: true, Since: t0, Streak: 1, Value: &v, Updated: t0}
		n, err := s.Record(ctx, []Delivery{delivery("weekly|alert|a", t0)}, []AlertChange{{State: alert}})
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		got, err := s.Alert(ctx, "weekly", "frt above 60")
		require.NoError(t, err)
		assert.True(t, got.Firing)
		assert.Equal(t, 75.5, *got.Value)

		// A bad alert state saves neither part.
		_, err = s.Record(ctx, []Delivery{delivery("weekly|alert|b", t0)}, []AlertChange{{State: AlertState{Job: "weekly"}}})
		require.Error(t, err)
		ds, err := s.Deliveries(ctx, DeliveryFilter{})
		require.NoError(t, err)
		assert.Len(t, ds, 1)

		// A cancelled transaction saves neither part.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		next := alert
		next.Firing, next.Updated = false, t0.Add(time.Hour)
		_, err = s.Record(cctx, []Delivery{delivery("weekly|alert|c", t0)}, []AlertChange{{State: next, Read: t0}})
		require.Error(t, err)
		got, err = s.Alert(ctx, "weekly", "frt above 60")
		require.NoError(t, err)
		assert.True(t, got.Firing)
	})
}

// TestRecordRefusesAStaleAlertState: two runs that read the same state may
// not both store a transition; the second gets ErrConflict and saves nothing.
func TestRecordRefusesAStaleAlertState(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		fire := func(key string, at time.Time, read time.Time) error {
			st := AlertState{Job: "weekly", Key: "frt above 60", Firing: true, Since: at, Streak: 1, Updated: at}
			_, err := s.Record(ctx, []Delivery{delivery(key, at)}, []AlertChange{{State: st, Read: read}})
			return err
		}
		// Both runs read "no state yet"; only the first may fire.
		require.NoError(t, fire("a", t0, time.Time{}))
		require.ErrorIs(t, fire("b", t0.Add(time.Minute), time.Time{}), ErrConflict)
		// A run that read the first state may step it; a stale reader may not.
		require.NoError(t, fire("c", t0.Add(2*time.Minute), t0))
		require.ErrorIs(t, fire("d", t0.Add(3*time.Minute), t0), ErrConflict)
		ds, err := s.Deliveries(ctx, DeliveryFilter{})
		require.NoError(t, err)
		var keys []string
		for _, d := range ds {
			keys = append(keys, d.Key)
		}
		assert.ElementsMatch(t, []string{"a", "c"}, keys)
	})
}

// TestClaimKeepsOrderPerDestination: a delivery waits while an earlier one
// to the same destination is in retry backoff or being sent elsewhere;
// other destinations are not held back.
func TestClaimKeepsOrderPerDestination(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		other := delivery("other", t0)
		other.Target = "other@example.com"
		_, err := s.Enqueue(ctx, []Delivery{delivery("firing", t0), delivery("resolved", t0), other})
		require.NoError(t, err)

		// Both to one destination are due together: one batch, queue order.
		got, err := s.Claim(ctx, "w1", t0, time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, got, 3)
		assert.Equal(t, []string{"firing", "resolved", "other"}, []string{got[0].Key, got[1].Key, got[2].Key})
		firing, resolved := got[0], got[1]
		require.NoError(t, s.MarkSent(ctx, got[2].ID, "w1", t0))

		// firing fails and backs off; resolved is handed back, due now.
		require.NoError(t, s.MarkRetry(ctx, firing.ID, "w1", 1, t0.Add(time.Minute), "slack: 503"))
		require.NoError(t, s.MarkRetry(ctx, resolved.ID, "w1", 0, t0, ""))
		got, err = s.Claim(ctx, "w2", t0.Add(time.Second), time.Minute, 10)
		require.NoError(t, err)
		assert.Empty(t, got, "resolved must not overtake firing in backoff")

		// When firing is due, both come, in order.
		got, err = s.Claim(ctx, "w2", t0.Add(time.Minute), time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Equal(t, "firing", got[0].Key)
		assert.Equal(t, "resolved", got[1].Key)

		// While another worker sends firing, resolved is not claimable alone.
		require.NoError(t, s.MarkRetry(ctx, got[1].ID, "w2", 0, t0.Add(time.Minute), ""))
		got, err = s.Claim(ctx, "w3", t0.Add(time.Minute+time.Second), time.Minute, 10)
		require.NoError(t, err)
		assert.Empty(t, got)

		// A delivery that failed for good holds nothing back.
		require.NoError(t, s.MarkFailed(ctx, firing.ID, "w2", 2, "channel_not_found"))
		got, err = s.Claim(ctx, "w3", t0.Add(time.Minute+2*time.Second), time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, "resolved", got[0].Key)
	})
}

// TestRecordReplacesAStateStoredWithoutUpdated: a state stored with no
// Updated reads as zero and may be replaced as if absent.
func TestRecordReplacesAStateStoredWithoutUpdated(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		require.NoError(t, s.PutAlert(ctx, AlertState{Job: "weekly", Key: "k"}))
		prev, err := s.Alert(ctx, "weekly", "k")
		require.NoError(t, err)
		require.True(t, prev.Updated.IsZero())
		next := AlertState{Job: "weekly", Key: "k", Firing: true, Since: t0, Streak: 1, Updated: t0}
		_, err = s.Record(ctx, nil, []AlertChange{{State: next, Read: prev.Updated}})
		require.NoError(t, err)
		got, err := s.Alert(ctx, "weekly", "k")
		require.NoError(t, err)
		assert.True(t, got.Firing)
	})
}

func TestDeliveriesOfOneFiring(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		later := delivery("later", t0)
		later.FiringAt = t0.Add(24 * time.Hour)
		_, err := s.Enqueue(ctx, []Delivery{delivery("first", t0), later})
		require.NoError(t, err)
		ds, err := s.Deliveries(ctx, DeliveryFilter{Job: "weekly", FiringAt: later.FiringAt})
		require.NoError(t, err)
		require.Len(t, ds, 1)
		assert.Equal(t, "later", ds[0].Key)
	})
}

// TestRequeueFailed: only failed deliveries come back, selected by job
// and ids, due at once with a fresh retry window; history is kept.
func TestRequeueFailed(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		mk := func(key, job, target string) Delivery {
			d := delivery(key, t0)
			d.Job, d.Target = job, target
			return d
		}
		// Distinct targets, so no delivery holds another back.
		_, err := s.Enqueue(ctx, []Delivery{mk("w1", "weekly", "a"), mk("w2", "weekly", "b"), mk("w3", "weekly", "c"),
			mk("d1", "daily", "d"), mk("sent", "weekly", "e")})
		require.NoError(t, err)
		claimed, err := s.Claim(ctx, "w", t0, time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, claimed, 5)
		id := map[string]int64{}
		for _, d := range claimed {
			id[d.Key] = d.ID
			assert.True(t, d.RetryFrom.Equal(d.CreatedAt), "the window starts at creation")
			if d.Key == "sent" {
				require.NoError(t, s.MarkSent(ctx, d.ID, "w", t0))
				continue
			}
			require.NoError(t, s.MarkFailed(ctx, d.ID, "w", 4, "smtp: 451 "+d.Key))
		}
		status := func() map[string]string {
			ds, err := s.Deliveries(ctx, DeliveryFilter{})
			require.NoError(t, err)
			out := map[string]string{}
			for _, d := range ds {
				out[d.Key] = d.Status
			}
			return out
		}

		at := t0.Add(3 * time.Hour)
		n, err := s.RequeueFailed(ctx, RequeueFilter{Job: "weekly", IDs: []int64{id["w1"], id["d1"], id["sent"], 99999}}, at)
		require.NoError(t, err)
		assert.Equal(t, 1, n, "only w1 is both failed and of job weekly")
		assert.Equal(t, map[string]string{"w1": DeliveryQueued, "w2": DeliveryFailed, "w3": DeliveryFailed,
			"d1": DeliveryFailed, "sent": DeliverySent}, status())

		n, err = s.RequeueFailed(ctx, RequeueFilter{IDs: []int64{id["w2"], id["d1"], id["w2"]}}, at)
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		n, err = s.RequeueFailed(ctx, RequeueFilter{Job: "weekly"}, at)
		require.NoError(t, err)
		assert.Equal(t, 1, n, "w3")
		n, err = s.RequeueFailed(ctx, RequeueFilter{}, at)
		require.NoError(t, err)
		assert.Zero(t, n, "nothing failed is left")
		assert.Equal(t, map[string]string{"w1": DeliveryQueued, "w2": DeliveryQueued, "w3": DeliveryQueued,
			"d1": DeliveryQueued, "sent": DeliverySent}, status())

		counts, err := s.CountDeliveries(ctx, DeliveryFilter{Job: "weekly"})
		require.NoError(t, err)
		assert.Equal(t, map[string]int{DeliveryQueued: 3, DeliverySending: 0, DeliverySent: 1, DeliveryFailed: 0, DeliveryDropped: 0}, counts)
		counts, err = s.CountDeliveries(ctx, DeliveryFilter{Job: "daily", FiringAt: t0, Status: DeliveryQueued})
		require.NoError(t, err)
		assert.Equal(t, 1, counts[DeliveryQueued])

		got, err := s.Claim(ctx, "w2", at, time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, got, 4, "due at once")
		for _, d := range got {
			assert.True(t, d.RetryFrom.Equal(at), "%s: a fresh window from the requeue", d.Key)
			assert.True(t, d.CreatedAt.Equal(t0), "%s: creation is history", d.Key)
			assert.True(t, d.NextAttemptAt.Equal(at), d.Key)
			assert.Equal(t, 4, d.Attempts, d.Key)
			assert.Equal(t, "smtp: 451 "+d.Key, d.LastError)
		}

		// Many ids go in chunks, in one transaction.
		many := make([]int64, 3*requeueChunk)
		for i := range many {
			many[i] = int64(i + 1)
		}
		n, err = s.RequeueFailed(ctx, RequeueFilter{IDs: many}, at)
		require.NoError(t, err)
		assert.Zero(t, n)
	})
}

// TestRequeueFailedSince: with Since, only the failures of firings at or
// after it come back (a serve start re-queues recent ones only).
func TestRequeueFailedSince(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		old, recent, edge := delivery("old", t0), delivery("recent", t0), delivery("edge", t0)
		old.Target, recent.Target, edge.Target = "a", "b", "c"
		recent.FiringAt, edge.FiringAt = t0.Add(7*time.Hour), t0.Add(6*time.Hour)
		_, err := s.Enqueue(ctx, []Delivery{old, recent, edge})
		require.NoError(t, err)
		claimed, err := s.Claim(ctx, "w", t0, time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, claimed, 3)
		for _, d := range claimed {
			require.NoError(t, s.MarkFailed(ctx, d.ID, "w", 4, "smtp: 451"))
		}
		n, err := s.RequeueFailed(ctx, RequeueFilter{Since: t0.Add(6 * time.Hour)}, t0.Add(12*time.Hour))
		require.NoError(t, err)
		assert.Equal(t, 2, n, "recent, and edge at Since itself")
		ds, err := s.Deliveries(ctx, DeliveryFilter{})
		require.NoError(t, err)
		got := map[string]string{}
		for _, d := range ds {
			got[d.Key] = d.Status
		}
		assert.Equal(t, map[string]string{"old": DeliveryFailed, "recent": DeliveryQueued, "edge": DeliveryQueued}, got)
	})
}
