package ui

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"livechat-digest/digest"
)

// errPreviewPending is what a page gets when the build it waited for is
// still under way after the page's wait: the page says so, and the build
// goes on, so a reload a little later shows it.
var errPreviewPending = errors.New("ui: the preview is still being built")

// previews builds each job's preview at most once at a time: requests for
// a job whose build is under way wait for that build (singleflight), and a
// finished build is reused for previewTTL after it finished, so the job
// page and its framed HTML, or a reload, never multiply upstream requests.
// A build runs under its own timeout, detached from the request that
// started it: a reload that cancels the first request joins the build
// instead of restarting it. A request waits for it at most wait, less than
// the HTTP server's write timeout: a build that takes longer (a slow
// upstream, a rate limit shared with firing jobs) leaves the page saying
// so instead of a connection closed with no answer.
type previews struct {
	build   Previewer
	timeout time.Duration
	wait    time.Duration
	now     func() time.Time

	group singleflight.Group
	mu    sync.Mutex
	last  map[string]preview

	// missed, when set (tests only), runs after a request found no fresh
	// preview and before it joins or starts a build.
	missed func(job string)
}

type preview struct {
	d    *digest.Digest
	at   time.Time // the instant it was built as of
	done time.Time // when the build finished: previewTTL runs from here
	err  error
}

func newPreviews(p Previewer, timeout, wait time.Duration, now func() time.Time) *previews {
	return &previews{build: p, timeout: timeout, wait: wait, now: now, last: map[string]preview{}}
}

// get returns job's digest as if it ran now, and the instant used; or
// errPreviewPending, with the instant of the build under way, when that
// build has not finished within p.wait.
func (p *previews) get(ctx context.Context, job string) (*digest.Digest, time.Time, error) {
	now := p.now()
	if c, ok := p.fresh(job, now); ok {
		return c.d, c.at, c.err
	}
	if p.missed != nil {
		p.missed(job)
	}
	ch := p.group.DoChan(job, func() (any, error) {
		// A build may have finished between the look above and this
		// one: singleflight forgets a build once it returns, so without
		// looking again a request that missed the cache a moment before
		// would build the same preview a second time.
		if c, ok := p.fresh(job, p.now()); ok {
			return c, nil
		}
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.timeout)
		defer cancel()
		d, err := p.build.Preview(bctx, job, now)
		c := preview{d: d, at: now, done: p.now(), err: err}
		p.mu.Lock()
		p.last[job] = c
		p.mu.Unlock()
		return c, nil
	})
	wait := time.NewTimer(p.wait)
	defer wait.Stop()
	select {
	case res := <-ch:
		c := res.Val.(preview)
		return c.d, c.at, c.err
	case <-wait.C:
		return nil, now, errPreviewPending
	case <-ctx.Done():
		return nil, now, ctx.Err()
	}
}

// fresh returns job's last preview when it finished less than previewTTL
// before now.
func (p *previews) fresh(job string, now time.Time) (preview, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.last[job]
	if !ok || now.Sub(c.done) >= previewTTL || now.Sub(c.done) < 0 {
		return preview{}, false
	}
	return c, true
}
