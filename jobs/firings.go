package jobs

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"livechat-digest/digest"
)

// Share opens the answers shared by the runs of the firing at firing (one
// instant, FiringKey): every run of that firing in this process asks its
// questions through the returned fetcher, so each distinct question is
// asked once however long the firing takes, and the next firing asks
// afresh. done is called once this process has no run of the firing left;
// the answers go then. main builds it on livechat.Client.Firing.
type Share func(firing time.Time) (f digest.Fetcher, done func())

// FiringHolds tells the other replicas which firings this one still has
// runs of (running, or waiting for a run slot), so the answers the replicas
// share for a firing stay until every replica is done with it. The store
// implements it (HoldFiring, ReleaseFiring); it matters only where replicas
// share one (PostgreSQL).
type FiringHolds interface {
	HoldFiring(ctx context.Context, firingAt time.Time, owner string, until time.Time) error
	ReleaseFiring(ctx context.Context, firingAt time.Time, owner string, now time.Time) (int, error)
}

// firingShares keeps, per firing this process has runs of, the one open Share
// and, with FiringHolds, the hold that tells other replicas so. It counts
// the holders of each firing: the Locker from the moment gocron asks it for
// a firing (before the run waits for a slot), each run, catch-up and the
// reaper while they work through their firings. The firing is done in this
// process when its last holder lets go.
//
// Counting holders, not guessing a time to live, is what keeps the
// answers exactly as long as the firing: with a thousand jobs and 32 run
// slots the runs of one firing come in waves for minutes, and a run that
// starts long after the first still finds every answer; a later firing
// never does.
type firingShares struct {
	share Share // nil: no sharing, runs use the Runner's fetcher
	fetch digest.Fetcher
	holds FiringHolds // nil: no hold in the store
	owner string
	clock clockwork.Clock
	lease time.Duration
	log   *slog.Logger

	mu sync.Mutex
	m  map[time.Time]*openFiring
}

type openFiring struct {
	fetch   digest.Fetcher
	done    func()
	holders int
	stop    chan struct{} // ends the heartbeat of the hold
	stopped chan struct{}
}

// hold counts one more holder of the firing at at and returns the fetcher
// its runs ask through, and the func that lets go (call it once). The store
// calls it makes outlive ctx's cancellation: a hold taken must be released,
// also at shutdown, or the firing's answers would stay until it runs out.
func (fs *firingShares) hold(ctx context.Context, at time.Time) (digest.Fetcher, func()) {
	if fs.share == nil {
		return fs.fetch, func() {}
	}
	ctx = context.WithoutCancel(ctx)
	at = FiringKey(at)
	// The first holder opens the firing and the last one closes it under
	// fs.mu, so a firing that ends and one that starts again at the same
	// instant never interleave their store calls (one statement each).
	fs.mu.Lock()
	f := fs.m[at]
	if f == nil {
		f = &openFiring{}
		f.fetch, f.done = fs.share(at)
		if fs.holds != nil {
			f.stop, f.stopped = make(chan struct{}), make(chan struct{})
			fs.renew(ctx, at)
			go fs.heartbeat(ctx, at, f)
		}
		fs.m[at] = f
	}
	f.holders++
	fs.mu.Unlock()

	var once sync.Once
	return f.fetch, func() { once.Do(func() { fs.release(ctx, at, f) }) }
}

func (fs *firingShares) release(ctx context.Context, at time.Time, f *openFiring) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f.holders--
	if f.holders > 0 {
		return
	}
	delete(fs.m, at)
	f.done()
	if fs.holds == nil {
		return
	}
	close(f.stop)
	<-f.stopped
	rctx, cancel := context.WithTimeout(ctx, storeCallTimeout)
	defer cancel()
	if _, err := fs.holds.ReleaseFiring(rctx, at, fs.owner, fs.clock.Now()); err != nil {
		fs.log.Warn("releasing a firing's shared answers failed; the sweep deletes them", "firing", at.Format(time.RFC3339), "err", err)
	}
}

// storeCallTimeout bounds one hold or release in the store.
const storeCallTimeout = 10 * time.Second

// heartbeat renews the hold on the firing at at every third of the lease
// until f.stop closes.
func (fs *firingShares) heartbeat(ctx context.Context, at time.Time, f *openFiring) {
	defer close(f.stopped)
	t := fs.clock.NewTicker(fs.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-t.Chan():
			fs.renew(ctx, at)
		}
	}
}

func (fs *firingShares) renew(ctx context.Context, at time.Time) {
	ctx, cancel := context.WithTimeout(ctx, storeCallTimeout)
	defer cancel()
	if err := fs.holds.HoldFiring(ctx, at, fs.owner, fs.clock.Now().Add(fs.lease)); err != nil {
		// The answers may then go before this replica is done: its later
		// runs fetch again, which costs requests, not correctness.
		fs.log.Warn("holding a firing's shared answers failed", "firing", at.Format(time.RFC3339), "err", err)
	}
}

// holdFiring holds the firing at at (see firingShares) until the returned
// func is called.
func (r *Runner) holdFiring(ctx context.Context, at time.Time) (release func()) {
	_, release = r.firings.hold(ctx, at)
	return release
}

// heldFirings holds every firing added to it until release: catch-up and
// the reaper run one job after another, and several of those runs may
// belong to one firing, which must not end between them.
type heldFirings struct {
	r        *Runner
	releases map[time.Time]func()
}

func (r *Runner) holdFirings() *heldFirings {
	return &heldFirings{r: r, releases: map[time.Time]func(){}}
}

func (h *heldFirings) add(ctx context.Context, at time.Time) {
	at = FiringKey(at)
	if _, ok := h.releases[at]; !ok {
		h.releases[at] = h.r.holdFiring(ctx, at)
	}
}

func (h *heldFirings) release() {
	for _, release := range h.releases {
		release()
	}
}
