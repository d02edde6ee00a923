package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"testing"
	"time"
)

const (
	testLogin  = "lead@example.com"
	testKey    = "s3cr3t-api-key"
	testPrefix = "/lc"
)

// testNow is a Wednesday.
var testNow = time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)

// env is a simulator behind a real HTTP server, mounted under a prefix as
// the client's tests mount it.
type env struct {
	sim *Server
	srv *httptest.Server
}

func newEnv(t *testing.T, o Options) *env {
	t.Helper()
	if o.Login == "" {
		o.Login, o.APIKey = testLogin, testKey
	}
	if o.Now == nil {
		o.Now = func() time.Time { return testNow }
	}
	s, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle(testPrefix+"/", http.StripPrefix(testPrefix, s))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{sim: s, srv: srv}
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// get requests /reports/<ep>?<query> with good credentials.
func (e *env) get(t *testing.T, ep, query string) reply {
	t.Helper()
	return e.do(t, context.Background(), http.MethodGet, "/reports/"+ep+"?"+query, func(r *http.Request) {
		r.SetBasicAuth(testLogin, testKey)
		r.Header.Set("X-API-Version", "2")
	})
}

func (e *env) do(t *testing.T, ctx context.Context, method, path string, prep func(*http.Request)) reply {
	t.Helper()
	r, err := e.try(ctx, method, path, prep)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func (e *env) try(ctx context.Context, method, path string, prep func(*http.Request)) (reply, error) {
	req, err := http.NewRequestWithContext(ctx, method, e.srv.URL+testPrefix+path, nil)
	if err != nil {
		return reply{}, err
	}
	if prep != nil {
		prep(req)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}, err
}

// object decodes a 200 answer as a JSON object.
func (e *env) object(t *testing.T, ep, query string) map[string]any {
	t.Helper()
	r := e.get(t, ep, query)
	if r.status != http.StatusOK {
		t.Fatalf("%s?%s: status %d: %s", ep, query, r.status, r.body)
	}
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("%s?%s: %v: %.200s", ep, query, err, r.body)
	}
	return m
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// agg combines bucket values the way the metric catalogue aggregates them:
// counts and durations add, averages are weighted by their count, waiting
// minima and maxima take the min and max. Hour answers in minutes are
// converted to hours.
type agg map[string]float64

// add folds one bucket object into a.
func (a agg) add(bucket map[string]any) {
	a.walk("", bucket, bucket)
}

func (a agg) walk(path string, v any, parent map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		if av, ok := x["average"].(map[string]any); ok { // a waiting-time line
			n, _ := x["count"].(float64)
			a[path+".count"] += n
			if s, ok := av["seconds"].(float64); ok {
				a[path+".average*count"] += s * n
			}
			if lo, ok := x["min"].(map[string]any)["seconds"].(float64); ok {
				if cur, seen := a[path+".min"]; !seen || lo < cur {
					a[path+".min"] = lo
				}
			}
			if hi, ok := x["max"].(map[string]any)["seconds"].(float64); ok {
				if cur, seen := a[path+".max"]; !seen || hi > cur {
					a[path+".max"] = hi
				}
			}
			return
		}
		for k, c := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			a.walk(p, c, x)
		}
	case float64:
		switch last := lastName(path); {
		case last == "minutes":
			a["hours"] += x / 60
		case (last == "seconds" || last == "hours") && parent["count"] != nil:
			n, _ := parent["count"].(float64)
			a[path+"*count"] += x * n
		default:
			a[path] += x
		}
	case nil:
		// a null average: its count is 0, so it weighs nothing
	}
}

// diff describes how got differs from want, or returns "".
func (a agg) diff(want agg) string {
	var out string
	for k, w := range want {
		g := a[k]
		if d := g - w; d > 1e-6*max(1, abs(w)) || -d > 1e-6*max(1, abs(w)) {
			out += fmt.Sprintf("%s: got %v want %v; ", k, g, w)
		}
	}
	for k, g := range a {
		if _, ok := want[k]; !ok && g != 0 {
			out += fmt.Sprintf("%s: got %v, want absent; ", k, g)
		}
	}
	return out
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func lastName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '.' {
			return p[i+1:]
		}
	}
	return p
}

func hasSuffix(s, suf string) bool { return len(s) >= len(suf) && s[len(s)-len(suf):] == suf }

// qs builds a query string from pairs; empty values are left out.
func qs(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Add(kv[i], kv[i+1])
		}
	}
	return v.Encode()
}
