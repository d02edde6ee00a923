package livechat

import (
	"context"
	"net/http"
	"time"
)

// Lifecycle headers LiveChat puts on answers of a version that is going
// away (reference §1): Legacy in the legacy stage, Deprecation in the
// deprecated stage, each with the stage's end date as YYYY-MM-DD.
const (
	HeaderLegacy      = "Legacy"
	HeaderDeprecation = "Deprecation"
)

// Lifecycle is one lifecycle header seen on an answer: the API version the
// client reads ends its current stage on Date.
type Lifecycle struct {
	API    API
	Header string // HeaderLegacy or HeaderDeprecation
	// Value is the header as sent, made one printable line of at most 64
	// runes; normally a date.
	Value string
	// Date is Value read as YYYY-MM-DD; zero when it is something else.
	Date Date
}

// String says it for people: "Reports API 2: Deprecation 2026-09-30".
func (l Lifecycle) String() string {
	return "Reports API " + string(l.API) + ": " + l.Header + " " + l.Value
}

// parseLifecycle returns the lifecycle headers of h.
func parseLifecycle(api API, h http.Header) []Lifecycle {
	var out []Lifecycle
	for _, name := range []string{HeaderLegacy, HeaderDeprecation} {
		v := h.Get(name)
		if v == "" {
			continue
		}
		l := Lifecycle{API: api, Header: name, Value: clipValue(v)}
		if t, err := time.Parse(time.DateOnly, l.Value); err == nil {
			l.Date = DateOf(t)
		}
		out = append(out, l)
	}
	return out
}

// clipValue makes a header value safe to log and store.
func clipValue(s string) string {
	r := []rune(printable([]byte(s)))
	if len(r) > 64 {
		r = r[:64]
	}
	return string(r)
}

// maxLifecycleNoted bounds the distinct lifecycle headers a client logs.
const maxLifecycleNoted = 16

// noteLifecycle logs each distinct lifecycle header the first time this
// client sees it, and hands every one to the WithLifecycle func.
func (c *Client) noteLifecycle(ctx context.Context, endpoint string, h http.Header) {
	for _, l := range parseLifecycle(c.api, h) {
		// The value is the upstream's text, logged and kept in the store.
		l.Value = c.redact(l.Value)
		c.lifeMu.Lock()
		// Bounded: an upstream sending a new value on every answer must
		// not grow the set (or the log) without end.
		first := !c.lifeNoted[l] && len(c.lifeNoted) < maxLifecycleNoted
		if first {
			c.lifeNoted[l] = true
		}
		c.lifeMu.Unlock()
		if first {
			c.log.WarnContext(ctx, "reports api version is going away",
				"api", string(l.API), "header", l.Header, "date", l.Value, "endpoint", endpoint)
		}
		c.lifecycle(ctx, l)
	}
}
