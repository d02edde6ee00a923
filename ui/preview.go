package ui

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"livechat-digest/digest"
)

// previews builds each job's preview at most once at a time: requests for
// a job whose build is under way wait for that build (singleflight), and a
// finished build is reused for previewTTL, so the job page and its framed
// HTML, or a reload, never multiply upstream requests. A build runs under
// its own timeout, detached from the request that started it: a reload
// that cancels the first request joins the build instead of restarting it.
type previews struct {
	build   Previewer
	timeout time.Duration
	now     func() time.Time

	group singleflight.Group
	mu    sync.Mutex
	last  map[string]preview
}

type preview struct {
	d   *digest.Digest
	at  time.Time // the instant it was built as of
	err error
}

func newPreviews(p Previewer, timeout time.Duration, now func() time.Time) *previews {
	return &previews{build: p, timeout: timeout, now: now, last: map[string]preview{}}
}

// get returns job's digest as if it ran now, and the instant used.
func (p *previews) get(ctx context.Context, job string) (*digest.Digest, time.Time, error) {
	now := p.now()
	p.mu.Lock()
	if c, ok := p.last[job]; ok && now.Sub(c.at) < previewTTL && now.Sub(c.at) >= 0 {
		p.mu.Unlock()
		return c.d, c.at, c.err
	}
	p.mu.Unlock()
	ch := p.group.DoChan(job, func() (any, error) {
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.timeout)
		defer cancel()
		d, err := p.build.Preview(bctx, job, now)
		c := preview{d: d, at: now, err: err}
		p.mu.Lock()
		p.last[job] = c
		p.mu.Unlock()
		return c, nil
	})
	select {
	case res := <-ch:
		c := res.Val.(preview)
		return c.d, c.at, c.err
	case <-ctx.Done():
		return nil, now, ctx.Err()
	}
}
