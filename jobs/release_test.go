package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReleaseLoopNoticesASilenceExpiredElsewhere: `silence expire` runs in
// another process, so serve's release loop knows nothing of it; it still
// announces the held firing within ReleaseEvery (15 s), as the README says.
func TestReleaseLoopNoticesASilenceExpiredElsewhere(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		e := newLC(t, url, day(22), "", nil)
		s := e.silence(t, "", day(22).Add(3*time.Hour))
		e.fire(t, day(22)) // held
		require.Empty(t, e.slack.seen())

		ctx, cancel := context.WithCancel(context.Background())
		e.sched.releaseDone = make(chan struct{})
		go e.sched.releaseLoop(ctx)
		defer func() { cancel(); <-e.sched.releaseDone }()
		require.NoError(t, e.clock.BlockUntilContext(ctx, 1))

		other := newLC(t, url, day(22), "", e) // the CLI: same store, another process
		_, err := other.st.ExpireSilence(context.Background(), s.ID, e.clock.Now())
		require.NoError(t, err)
		e.clock.Advance(15 * time.Second)
		require.Eventually(t, func() bool {
			e.send(t)
			return len(e.slack.seen()) == 1
		}, 10*time.Second, 5*time.Millisecond)
		assert.Equal(t, []string{"chat.postMessage"}, methods(e.slack.seen()))
	})
}
