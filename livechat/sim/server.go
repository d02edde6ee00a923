package sim

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Server.
type Options struct {
	// Seed picks the data: the same seed gives the same numbers.
	Seed int64
	// Login and APIKey are the basic auth credentials the server requires:
	// on v2 the login and API key, on v3.6 the account ID and personal
	// access token.
	Login, APIKey string
	// BearerToken, when set, is an OAuth access token v3.6 also accepts
	// (Authorization: Bearer).
	BearerToken string
	// Deprecation and Legacy, when set, are sent as the lifecycle headers
	// of those names on every answer (normally a YYYY-MM-DD date).
	Deprecation, Legacy string
	// Latency is added to every answer.
	Latency time.Duration
	// Faults make some requests fail; see Fault and ParseFaults.
	Faults []Fault
	// Now gives "today" for default dates and agents_occupancy; default
	// time.Now.
	Now func() time.Time
}

// Server is the simulator, an http.Handler for GET /reports/<endpoint> (v2)
// and POST /v3.6/reports/<method> (v3.6). It routes on the path from the
// root, so mount it under a prefix with http.StripPrefix. It is safe for
// concurrent use.
type Server struct {
	opts   Options
	m      *model
	counts map[string]*atomic.Int64 // per endpoint ("v3.6/..." for v3.6); the map is read-only
	total  atomic.Int64
	zones  sync.Map // zone name -> *time.Location

	mu    sync.Mutex
	byURL map[string]int64 // requests per URL, for Fault.First and Fault.Rate
}

// New returns a simulator for o.
func New(o Options) (*Server, error) {
	if o.Login == "" || o.APIKey == "" {
		return nil, errors.New("sim: login and api key are required")
	}
	if o.Latency < 0 {
		return nil, fmt.Errorf("sim: negative latency %v", o.Latency)
	}
	for _, f := range o.Faults {
		if err := f.validate(); err != nil {
			return nil, err
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Faults = append([]Fault(nil), o.Faults...)
	s := &Server{opts: o, m: newModel(o.Seed), counts: make(map[string]*atomic.Int64), byURL: make(map[string]int64)}
	for name := range endpoints {
		s.counts[name] = new(atomic.Int64)
	}
	for name := range v36Methods {
		s.counts["v3.6/"+name] = new(atomic.Int64)
	}
	return s, nil
}

// Requests returns the number of requests received, failed ones included.
func (s *Server) Requests() int64 { return s.total.Load() }

// RequestsTo returns the number of requests received for endpoint, named by
// its path below /reports/ (e.g. "chats/ratings"), or for a v3.6 method by
// "v3.6/" and its path below /v3.6/reports/ (e.g. "v3.6/chats/ranking"),
// failed ones included.
func (s *Server) RequestsTo(endpoint string) int64 {
	if c := s.counts[strings.Trim(endpoint, "/")]; c != nil {
		return c.Load()
	}
	return 0
}

// ServeHTTP answers one request: latency, auth, version, path, faults,
// arguments, then the report.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.total.Add(1)
	if s.opts.Deprecation != "" {
		w.Header().Set("Deprecation", s.opts.Deprecation)
	}
	if s.opts.Legacy != "" {
		w.Header().Set("Legacy", s.opts.Legacy)
	}
	if name, ok := strings.CutPrefix(r.URL.Path, v36Prefix); ok {
		s.serveV36(w, r, name)
		return
	}
	name, isReport := strings.CutPrefix(r.URL.Path, "/reports/")
	ep := endpoints[name]
	if isReport && ep != nil {
		s.counts[name].Add(1)
	}
	ctx := r.Context()
	if !sleep(ctx, s.opts.Latency) {
		return
	}
	login, key, ok := r.BasicAuth()
	if !ok || !equal(login, s.opts.Login) || !equal(key, s.opts.APIKey) {
		w.Header().Set("WWW-Authenticate", `Basic realm="LiveChat API"`)
		writeError(w, http.StatusUnauthorized, "authentication failed")
		return
	}
	if !isReport || ep == nil {
		// Before the version check: a path that is no report (a base URL
		// with a wrong prefix) is a 404, whatever version was asked for.
		writeError(w, http.StatusNotFound, "no such report")
		return
	}
	if v := r.Header.Get("X-API-Version"); v != "2" {
		writeError(w, http.StatusBadRequest, "unsupported or missing X-API-Version: want 2")
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	malformed := false
	if f := s.fault(name, r.URL.Path+"?"+r.URL.RawQuery); f != nil {
		switch f.Kind {
		case Fault5xx:
			writeError(w, http.StatusServiceUnavailable, "service unavailable (simulated)")
			return
		case Fault429:
			if ra := f.retryAfterSeconds(); ra != "" {
				w.Header().Set("Retry-After", ra)
			}
			writeError(w, http.StatusTooManyRequests, "too many requests (simulated)")
			return
		case FaultTimeout:
			d := f.Delay
			if d == 0 {
				d = defaultTimeoutDelay
			}
			if !sleep(ctx, d) {
				return
			}
		case FaultMalformed:
			malformed = true
		}
	}
	now := s.opts.Now()
	q, err := s.parseQuery(ep, r.URL.Query(), now)
	if err != nil {
		writeError(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), errArg.Error()+": "))
		return
	}
	body := s.answer(ep, &q, now)
	if malformed {
		body = body[:len(body)/2] // a strict prefix of a JSON object is never valid JSON
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// fault counts a request to url and returns the fault that answers it, if any.
func (s *Server) fault(ep, url string) *Fault {
	if len(s.opts.Faults) == 0 {
		return nil
	}
	s.mu.Lock()
	s.byURL[url]++
	n := s.byURL[url]
	s.mu.Unlock()
	for i := range s.opts.Faults {
		if f := &s.opts.Faults[i]; f.fires(s.m.seed, i, ep, url, n) {
			return f
		}
	}
	return nil
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// sleep waits d or until ctx is done, reporting whether the full d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func writeError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}
