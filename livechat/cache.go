package livechat

import (
	"fmt"
	"sync"
	"time"
)

// cacheMaxBytes bounds the bodies a response cache keeps: far above what a
// minute of jobs needs (a full digest is well under 1 MiB of answers per
// filter set), and small enough that the cache can never be what grows.
const cacheMaxBytes = 64 << 20

// responseCache keeps 200 answers by full request URL for a short time.
//
// Singleflight shares a fetch only among callers that ask while it is in
// flight. Jobs that fire in the same minute do not all ask at the same
// moment: the rate limit and the concurrency cap spread them out, so the
// second job asking for the same report, range and filters often comes just
// after the first fetch ended and would fetch it again. A cache that lives
// about as long as a scheduling minute makes such requests once.
type responseCache struct {
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	m     map[string]cacheEntry
	bytes int
}

type cacheEntry struct {
	body  []byte
	until time.Time
}

// WithCache keeps every 200 answer for ttl, keyed by the full request URL
// (endpoint, range, zone, filters), and answers identical requests from it
// without calling the API. Together with the coalescing of requests in
// flight it makes each distinct request once per ttl however many jobs ask.
// The cache holds at most 64 MiB of answers; beyond that answers are not
// kept until older ones expire. Answers are shared between callers
// read-only. A ttl of 0 turns the cache off (the default).
func WithCache(ttl time.Duration) Option {
	return func(c *Client) error {
		switch {
		case ttl < 0:
			return fmt.Errorf("livechat: WithCache: ttl %s must not be negative", ttl)
		case ttl == 0:
			c.cache = nil
			return nil
		}
		c.cache = &responseCache{ttl: ttl, now: time.Now, m: make(map[string]cacheEntry)}
		return nil
	}
}

// get returns the kept answer for u, if any and still fresh. A nil cache
// keeps nothing.
func (rc *responseCache) get(u string) ([]byte, bool) {
	if rc == nil {
		return nil, false
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	e, ok := rc.m[u]
	if !ok {
		return nil, false
	}
	if !rc.now().Before(e.until) {
		rc.drop(u, e)
		return nil, false
	}
	return e.body, true
}

// put keeps body for u until ttl from now. When the cache is full it first
// drops expired answers; if it is still full the answer is not kept.
func (rc *responseCache) put(u string, body []byte) {
	if rc == nil {
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	now := rc.now()
	if old, ok := rc.m[u]; ok {
		rc.drop(u, old)
	}
	if rc.bytes+len(body) > cacheMaxBytes {
		for k, e := range rc.m {
			if !now.Before(e.until) {
				rc.drop(k, e)
			}
		}
		if rc.bytes+len(body) > cacheMaxBytes {
			return
		}
	}
	rc.m[u] = cacheEntry{body: body, until: now.Add(rc.ttl)}
	rc.bytes += len(body)
}

func (rc *responseCache) drop(u string, e cacheEntry) {
	delete(rc.m, u)
	rc.bytes -= len(e.body)
}
