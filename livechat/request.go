package livechat

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxBody bounds an answer; a month of hourly occupancy is far below it.
const maxBody = 8 << 20

// maxRetryAfter is what we make of a Retry-After we cannot read or that is
// absurdly long, so one bad header cannot stall a client for hours.
const maxRetryAfter = time.Hour

// flight is one coalesced fetch and the callers waiting for it. When the
// last caller gives up, the fetch is cancelled: nobody wants its answer.
type flight struct {
	fetch   func() (any, error) // what singleflight runs if this flight starts the fetch
	cancel  context.CancelFunc
	waiters int
}

// buildURL returns the request URL for report info and query q, sending only
// the arguments the endpoint accepts.
func (c *Client) buildURL(info ReportInfo, q Query) (string, error) {
	if err := checkQuery(info, q); err != nil {
		return "", err
	}
	v := url.Values{}
	set := func(p Param, name, val string) {
		if val != "" && info.Accepts(p) {
			v.Set(name, val)
		}
	}
	if !q.From.IsZero() {
		set(ParamDateFrom, "date_from", q.From.String())
	}
	if !q.To.IsZero() {
		set(ParamDateTo, "date_to", q.To.String())
	}
	set(ParamTimezone, "timezone", q.Timezone)
	set(ParamGroup, "group", q.Group)
	set(ParamAgent, "agent", q.Agent)
	set(ParamGroupBy, "group_by", string(q.GroupBy))
	set(ParamGoal, "goal", q.Goal)
	set(ParamGreeting, "greeting", q.Greeting)
	set(ParamWeekday, "weekday", q.Weekday)
	if info.Accepts(ParamTag) {
		for _, t := range q.Tags {
			if t != "" {
				v.Add("tag[]", t)
			}
		}
	}
	u := *c.base
	u.Path += info.Path()
	u.RawQuery = v.Encode()
	return u.String(), nil
}

// checkQuery rejects arguments the API would reject or misread, before any
// request is spent on them.
func checkQuery(info ReportInfo, q Query) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("livechat: %s: %s", info.Endpoint, fmt.Sprintf(format, args...))
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return bad("date_to %s is before date_from %s", q.To, q.From)
	}
	if q.Until != 0 {
		return bad("a range ending at a time of day (Until) needs Reports API v3.6")
	}
	switch q.GroupBy {
	case "", ByHour, ByDay, ByMonth:
	default:
		return bad("group_by %q: want hour, day or month", clip(string(q.GroupBy)))
	}
	if q.Weekday != "" && info.Accepts(ParamWeekday) {
		switch q.Weekday {
		case "mon", "tue", "wed", "thu", "fri", "sat", "sun":
		default:
			return bad("weekday %q: want mon..sun", clip(q.Weekday))
		}
	}
	return nil
}

// request is one API request exactly as every attempt sends it.
type request struct {
	name   string // Method.Name(): for errors, logs and metrics
	method string // GET (v2) or POST (v3.6)
	url    string
	body   []byte // the JSON body of a v3.6 request; nil for GET
}

// build returns the request for report method m and query q.
func (c *Client) build(m Method, q Query) (request, error) {
	if m.API == V36 {
		return c.buildV36(m, q)
	}
	info, _ := Lookup(m.Report)
	u, err := c.buildURL(info, q)
	if err != nil {
		return request{}, err
	}
	return request{name: m.Name(), method: http.MethodGet, url: u}, nil
}

// shareKey is what makes two requests the same request, for coalescing and
// sharing (Share): the HTTP method, the URL, the body and the credential. The URL
// alone is not enough since every v3.6 request to one report has the same
// URL, and answers are per account. The credential enters as a hash (see
// credentialKey), so keys can be kept, logged or shared without holding it.
// It is the one place the key is made; replicas share answers under it
// (Cluster), so it must be the same in every process of one account.
func (c *Client) shareKey(r request) string {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(r.method), []byte(r.url), r.body, []byte(c.credKey)} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:]) // length-prefixed: no two splits of the parts collide
		h.Write(part)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// credentialKey is a hash of an Authorization header value, so the sharing
// key tells accounts apart without containing their secret.
func credentialKey(authorization string) string {
	sum := sha256.Sum256([]byte("livechat-digest/credential\x00" + authorization))
	return hex.EncodeToString(sum[:16])
}

// authorization is the Authorization header every request carries.
func (c *Client) authorization() string {
	if c.bearer != "" {
		return "Bearer " + c.bearer
	}
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(c.login+":"+c.apiKey))
}

// get returns the body of a 200 answer for report method m and q, and the
// request's sharing key, asked in share sh (nil: no share). Without a
// share, identical requests (shareKey) in flight at the same moment share
// one fetch and nothing is kept afterwards: that is a slash command's or a
// `report`'s own request.
// In a share, every run of the share's firing gets the one answer (or
// failure) of each distinct request (see Share). Each caller waits only as
// long as its own ctx allows.
func (c *Client) get(ctx context.Context, sh *Share, m Method, q Query) ([]byte, string, error) {
	if ctx == nil {
		return nil, "", fmt.Errorf("livechat: %s: nil context", m.Name())
	}
	if err := ctx.Err(); err != nil {
		return nil, "", fmt.Errorf("livechat: %s: %w", m.Name(), err)
	}
	req, err := c.build(m, q)
	if err != nil {
		return nil, "", err
	}
	key := c.shareKey(req)
	var body []byte
	if sh != nil {
		body, err = sh.get(ctx, key, req)
	} else {
		body, err = c.flight(ctx, key, req)
	}
	return body, key, err
}

// flight returns the body of a 200 answer for req, whose sharing key is
// key: identical requests in flight at the same moment share one fetch.
func (c *Client) flight(ctx context.Context, key string, req request) ([]byte, error) {
	c.mu.Lock()
	f := c.flights[key]
	if f == nil {
		// The fetch outlives the caller that started it (others may be
		// waiting), so it runs on a context of its own, bounded by the most
		// all tries can take, and cancelled when its last caller leaves.
		budget := time.Duration(c.tries) * (c.timeout + c.backoffMax)
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
		f = &flight{cancel: cancel, fetch: func() (any, error) { return c.fetch(fctx, req) }}
		c.flights[key] = f
	}
	f.waiters++
	c.mu.Unlock()
	defer c.leave(key, f)

	// If a fetch for key is already running this joins it; otherwise
	// f.fetch starts one, under the flight this caller counts itself in.
	ch := c.sf.DoChan(key, f.fetch)
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("livechat: %s: %w", req.name, ctx.Err())
	case res := <-ch:
		if ctx.Err() != nil {
			return nil, fmt.Errorf("livechat: %s: %w", req.name, ctx.Err())
		}
		if errors.Is(res.Err, context.Canceled) {
			// We joined a fetch whose callers had all left just before we
			// came: it was cancelled for them, not for us. Start afresh.
			return c.flight(ctx, key, req)
		}
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.([]byte), nil
	}
}

// leave drops a caller from flight f and cancels the fetch when nobody is
// left to want it.
func (c *Client) leave(key string, f *flight) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f.waiters--
	if f.waiters == 0 {
		f.cancel()
		if c.flights[key] == f {
			delete(c.flights, key)
		}
	}
}

// fetch sends the request, retrying what can be retried, and returns the
// body of a 200 answer.
func (c *Client) fetch(ctx context.Context, req request) ([]byte, error) {
	moved := false // asked again in the region a misdirected_request named
	for attempt := 1; ; attempt++ {
		status, body, header, err := c.attempt(ctx, req)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("livechat: %s: %w", req.name, ctx.Err())
		}
		if err == nil && status == http.StatusOK {
			return body, nil
		}
		apiErr := &APIError{Endpoint: req.name, Status: status, Tries: attempt, Err: err}
		var region string
		if status != 0 {
			apiErr.Excerpt = c.redact(printable(body[:min(len(body), 200)]))
			var msg string
			apiErr.Type, msg, region = errorBody(body)
			apiErr.Message = c.redact(clipMessage(msg))
		}
		wait, retry := c.backoff(attempt)
		switch {
		case errors.Is(err, ErrTooLarge):
			retry = false
		case err != nil, status == http.StatusRequestTimeout, status >= 500, retryableType[apiErr.Type]:
			if status != 0 {
				// A Retry-After on any answer worth another try is
				// honoured, not only on a rate limit (reference §6).
				wait, retry = c.tooMany(apiErr, header, wait, retry)
			}
		case status == http.StatusTooManyRequests:
			wait, retry = c.tooMany(apiErr, header, wait, retry)
		case apiErr.Type == "misdirected_request" && region != "" && c.api == V36:
			// The account lives in another data centre: ask there, once per
			// request (reference §2.5), whatever the retry budget: it is not
			// a retry of a failure, and a client without retries (check)
			// must reach the account too. Asked there already, or moved
			// once already, it is an error. The region is kept for every
			// later request.
			prev := c.region.Swap(&region)
			retry = !moved && (prev == nil || *prev != region)
			moved, wait = true, 0
		default:
			retry = false
		}
		if !retry {
			return nil, apiErr
		}
		c.log.DebugContext(ctx, "retrying", "endpoint", req.name, "attempt", attempt, "status", status, "wait", wait)
		if wait <= 0 {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("livechat: %s: %w", req.name, ctx.Err())
		case <-t.C:
		}
	}
}

// retryableType are the v3.6 error types worth another try whatever the
// status (reference §6: branch on the type).
var retryableType = map[string]bool{
	"too_many_requests":   true,
	"request_timeout":     true,
	"service_unavailable": true,
	"internal":            true,
}

// tooMany applies the Retry-After of a rate-limit or unavailable answer, if
// it has one: the wait before the next try, and whether to try again at
// all.
func (c *Client) tooMany(apiErr *APIError, header http.Header, wait time.Duration, retry bool) (time.Duration, bool) {
	ra, ok := retryAfter(header.Get("Retry-After"), time.Now())
	if !ok {
		return wait, retry
	}
	apiErr.RetryAfter = ra
	// Hold the whole client back (the limit or the outage is the
	// account's, not the one endpoint's), but never longer than one
	// backoff: a long demand is the caller's to honour.
	c.pause(min(ra, c.backoffMax))
	if ra > c.backoffMax {
		return 0, false
	}
	return ra, retry
}

// backoff returns the wait before the next attempt after attempt n (full
// jitter) and whether there is a next attempt.
func (c *Client) backoff(n int) (time.Duration, bool) {
	if n >= c.tries {
		return 0, false
	}
	ceil := c.backoffMax
	if shift := n - 1; shift < 30 && c.backoffBase<<shift < ceil {
		ceil = c.backoffBase << shift
	}
	return rand.N(ceil) + 1, true
}

// pause holds every attempt of the client back for d: a 429 is about the
// account, not the one endpoint.
func (c *Client) pause(d time.Duration) {
	until := time.Now().Add(d).UnixNano()
	for {
		cur := c.pauseUntil.Load()
		if cur >= until || c.pauseUntil.CompareAndSwap(cur, until) {
			return
		}
	}
}

// attempt sends one request. err is a transport error (status 0); any
// answer, whatever its status, comes back as status and body.
func (c *Client) attempt(ctx context.Context, r request) (int, []byte, http.Header, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return 0, nil, nil, ctx.Err()
	}
	defer func() { <-c.sem }()
	if d := time.Until(time.Unix(0, c.pauseUntil.Load())); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, nil, nil, ctx.Err()
		case <-t.C:
		}
	}
	if err := c.wait(ctx); err != nil {
		return 0, nil, nil, c.clean(err)
	}

	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(actx, r.method, r.url, body)
	if err != nil {
		return 0, nil, nil, c.clean(err)
	}
	req.Header.Set("Authorization", c.authorization())
	if c.api == V36 {
		req.Header.Set("Content-Type", "application/json")
		if reg := c.region.Load(); reg != nil {
			req.Header.Set("X-Region", *reg)
		}
	} else {
		req.Header.Set("X-API-Version", "2")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "livechat-digest")

	start := time.Now()
	c.requests.Add(1)
	resp, err := c.http.Do(req)
	if err != nil {
		c.observe(r.name, 0, time.Since(start))
		if actx.Err() != nil && ctx.Err() == nil {
			return 0, nil, nil, fmt.Errorf("no answer within %s", c.timeout)
		}
		return 0, nil, nil, c.clean(err)
	}
	defer resp.Body.Close()
	c.noteLifecycle(ctx, r.name, resp.Header)
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	c.observe(r.name, resp.StatusCode, time.Since(start))
	switch {
	case err != nil && actx.Err() != nil && ctx.Err() == nil:
		return 0, nil, nil, fmt.Errorf("answer not read within %s", c.timeout)
	case err != nil:
		return 0, nil, nil, c.clean(err)
	case len(data) > maxBody:
		// The same request would get the same answer: fetch does not
		// retry this.
		return resp.StatusCode, nil, resp.Header, ErrTooLarge
	}
	return resp.StatusCode, data, resp.Header, nil
}

// clean strips the URL from transport errors (net/http puts it in
// *url.Error) and removes the credentials should they appear anyway.
func (c *Client) clean(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := c.redact(err.Error())
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &cleanError{msg: msg, err: err}
	}
	return &cleanError{msg: msg}
}

// cleanError is a transport error with secrets removed from its text. It
// keeps context errors reachable for errors.Is, and nothing else: an inner
// error's own text might still hold a secret.
type cleanError struct {
	msg string
	err error
}

func (e *cleanError) Error() string { return e.msg }
func (e *cleanError) Unwrap() error { return e.err }

// minFragment is the shortest piece of a secret, cut off at the edge of an
// excerpt, that redact removes. Shorter pieces say next to nothing about the
// secret, and matching them would blank out innocent text.
const minFragment = 4

// minPiece is the shortest piece of a secret that redact removes from inside
// a text: a decode error's reason quotes a clipped piece of the answer (a
// bucket key, a value), which may lie anywhere in it. Longer than
// minFragment, since a short run inside ordinary text matches a secret's
// characters by chance more easily.
const minPiece = 8

// redacted replaces a secret, or a piece of one, in errors and excerpts.
const redacted = "<redacted>"

// secrets returns the forms in which the credentials can come back to us in
// an answer or a transport error: an OAuth token itself; or the API key (or
// personal access token) itself, and the basic-auth
// token base64(login:key) that every request carries in its Authorization
// header (a proxy or a debugging upstream may echo the header), padded and
// unpadded, in the standard and the URL alphabet. Longer forms come first,
// so a padded token is replaced whole.
func (c *Client) secrets() []string {
	if c.bearer != "" {
		return []string{c.bearer}
	}
	if c.apiKey == "" {
		return nil
	}
	cred := []byte(c.login + ":" + c.apiKey)
	return []string{
		base64.StdEncoding.EncodeToString(cred),
		base64.URLEncoding.EncodeToString(cred),
		base64.RawStdEncoding.EncodeToString(cred),
		base64.RawURLEncoding.EncodeToString(cred),
		c.apiKey,
	}
}

// redact removes the API key and the basic-auth token from s, which may be a
// piece cut out of a longer answer (an error excerpt, which can start or end
// inside a secret) or quote a clipped piece of one (a decode error's
// reason): besides whole occurrences it removes every run of s that lies
// inside a secret, if at least minPiece long, or minFragment at the start or
// the end of s.
func (c *Client) redact(s string) string {
	secrets := c.secrets()
	for _, sec := range secrets {
		s = strings.ReplaceAll(s, sec, redacted)
	}
	for _, sec := range secrets {
		var b strings.Builder
		for i := 0; i < len(s); {
			// The longest run from i inside sec: a run that is not inside
			// sec has no longer run that is.
			n := 0
			for i+n < len(s) && strings.Contains(sec, s[i:i+n+1]) {
				n++
			}
			if n >= minPiece || (n >= minFragment && (i == 0 || i+n == len(s))) {
				b.WriteString(redacted)
				i += n
				continue
			}
			b.WriteByte(s[i])
			i++
		}
		s = b.String()
	}
	return s
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(h)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	return min(max(d, 0), maxRetryAfter), true
}
