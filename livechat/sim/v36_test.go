package sim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// post sends a v3.6 request with the personal access token.
func (e *env) post(t *testing.T, method, body string) reply {
	t.Helper()
	return e.postAuth(t, method, body, func(r *http.Request) { r.SetBasicAuth(testLogin, testKey) })
}

func (e *env) postAuth(t *testing.T, method, body string, auth func(*http.Request)) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, e.srv.URL+testPrefix+v36Prefix+method, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != nil {
		auth(req)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// v36Error decodes {"error": {"type", "message"}}.
func v36Error(t *testing.T, r reply) (typ, msg string) {
	t.Helper()
	var b struct {
		Error struct{ Type, Message string }
	}
	if err := json.Unmarshal(r.body, &b); err != nil || b.Error.Type == "" {
		t.Fatalf("status %d: not a v3.6 error body: %s", r.status, r.body)
	}
	return b.Error.Type, b.Error.Message
}

const week = `{"distribution":"day","timezone":"Europe/Warsaw","filters":{"from":"2026-03-23T00:00:00+01:00","to":"2026-03-29T23:59:59+02:00"}}`

func TestV36Auth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Seed: 1, BearerToken: "dal:oauth"})
	tests := []struct {
		name string
		auth func(*http.Request)
		want int
	}{
		{"personal access token", func(r *http.Request) { r.SetBasicAuth(testLogin, testKey) }, 200},
		{"oauth bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer dal:oauth") }, 200},
		{"token sent as bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+testKey) }, 401},
		{"base64 pair sent as bearer", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+base64.StdEncoding.EncodeToString([]byte(testLogin+":"+testKey)))
		}, 401},
		{"wrong token", func(r *http.Request) { r.SetBasicAuth(testLogin, "nope") }, 401},
		{"none", nil, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.postAuth(t, "chats/total_chats", week, tt.auth)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.status, tt.want, r.body)
			}
			if tt.want == 401 {
				if typ, msg := v36Error(t, r); typ != "authentication" || msg != "Invalid access token" {
					t.Errorf("error %q %q", typ, msg)
				}
				if strings.Contains(string(r.body), testKey) {
					t.Errorf("body leaks the token")
				}
			}
		})
	}
	if got := e.sim.RequestsTo("v3.6/chats/total_chats"); got != int64(len(tests)) {
		t.Errorf("RequestsTo = %d, want %d", got, len(tests))
	}
}

func TestV36Validation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Seed: 1})
	tests := []struct {
		name, method, body string
		status             int
		typ, msg           string
	}{
		{"unknown method", "chats/surveys", week, 404, "not_found", ""},
		{"stats path is not served", "stats/unique_visitors", `{"filters":{"from":"2026-03-23T00:00:00Z","to":"2026-03-23T23:59:59Z"}}`, 404, "not_found", ""},
		{"no from/to", "chats/total_chats", `{"filters":{"groups":{"values":[1]}}}`, 400, "validation", "`filters` must contain `filters.from/to`"},
		{"bad date", "chats/total_chats", `{"filters":{"from":"2026-03-23","to":"2026-03-24"}}`, 400, "validation", "RFC3339"},
		{"reversed", "chats/total_chats", `{"filters":{"from":"2026-03-24T00:00:00Z","to":"2026-03-23T00:00:00Z"}}`, 400, "validation", "before"},
		{"unknown field", "chats/total_chats", `{"filters":{"from":"2026-03-23T00:00:00Z","to":"2026-03-23T23:59:59Z","customer_countries":{"values":["PL"]}}}`, 400, "validation", "unknown field"},
		{"tags on an agents report", "agents/availability", `{"filters":{"from":"2026-03-23T00:00:00Z","to":"2026-03-23T23:59:59Z","tags":{"values":["sales"]}}}`, 400, "validation", "does not take filters.tags"},
		{"groups on unique_visitors", "customers/unique_visitors", `{"filters":{"from":"2026-03-23T00:00:00Z","to":"2026-03-23T23:59:59Z","groups":{"values":[1]}}}`, 400, "validation", "does not take filters.groups"},
		{"timezone on unique_visitors", "customers/unique_visitors", `{"timezone":"UTC","filters":{"from":"2026-03-23T00:00:00Z","to":"2026-03-23T23:59:59Z"}}`, 400, "validation", "filters.from/to only"},
		{"month distribution", "chats/total_chats", `{"distribution":"month","filters":{"from":"2026-03-23T00:00:00Z","to":"2026-03-23T23:59:59Z"}}`, 400, "validation", "only day"},
		{"year on an agents report", "agents/availability", `{"distribution":"year","filters":{"from":"2026-03-23T00:00:00Z","to":"2026-03-23T23:59:59Z"}}`, 400, "validation", "hour or day"},
		{"unknown zone", "chats/total_chats", `{"timezone":"Mars/Olympus","filters":{"from":"2026-03-23T00:00:00Z","to":"2026-03-23T23:59:59Z"}}`, 400, "validation", "unknown zone"},
		{"unreplied on ratings", "chats/ratings", `{"filters":{"from":"2026-03-23T00:00:00Z","to":"2026-03-23T23:59:59Z","properties":{"routing":{"unreplied":{"values":[true]}}}}}`, 400, "validation", "not simulated"},
		{"not json", "chats/total_chats", `{"filters":`, 400, "validation", "request body"},
		{"too long", "chats/total_chats", `{"filters":{"from":"2020-01-01T00:00:00Z","to":"2026-03-23T23:59:59Z"}}`, 400, "validation", "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := e.post(t, tt.method, tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if typ, msg := v36Error(t, r); typ != tt.typ || !strings.Contains(msg, tt.msg) {
				t.Errorf("error %q %q, want %q containing %q", typ, msg, tt.typ, tt.msg)
			}
		})
	}
	// GET is refused (the simulator speaks POST only).
	r := e.do(t, context.Background(), http.MethodGet, v36Prefix+"chats/total_chats", func(r *http.Request) { r.SetBasicAuth(testLogin, testKey) })
	if r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", r.status)
	}
}

// TestV36Shapes checks the traps the reference warns of, in the answers:
// every day present, empty ones as {}, zero fields left out, a total that
// is not the sum where the docs say so, records keyed by agent.
func TestV36Shapes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Seed: 3})
	night := `{"distribution":"day","filters":{"from":"2026-03-21T00:00:00Z","to":"2026-03-27T23:59:59Z","agents":{"values":["emma.jones@example.com"]},"tags":{"values":["vip"]}}}`
	r := e.post(t, "chats/total_chats", night)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var tc struct {
		Name    string
		Total   int64
		Records map[string]map[string]int64
	}
	if err := json.Unmarshal(r.body, &tc); err != nil {
		t.Fatal(err)
	}
	if tc.Name != "total-chats-report" || len(tc.Records) != 7 {
		t.Fatalf("answer %s", r.body)
	}
	var sum int64
	empty := 0
	for day, rec := range tc.Records {
		sum += rec["total"]
		if len(rec) == 0 {
			empty++
		}
		for k, v := range rec {
			if v == 0 {
				t.Errorf("%s: zero field %s not left out", day, k)
			}
		}
	}
	if empty == 0 || !strings.Contains(string(r.body), ":{}") {
		t.Errorf("no {} day in a quiet filtered week: %s", r.body)
	}
	if tc.Total != sum {
		t.Errorf("total_chats total %d, want Σ %d (docs: total = Σ)", tc.Total, sum)
	}

	// response_time: total counts chats, not responses, so it is not Σcount.
	r = e.post(t, "chats/response_time", week)
	var rt struct {
		Total   int64
		Records map[string]struct{ Count int64 }
	}
	if err := json.Unmarshal(r.body, &rt); err != nil {
		t.Fatal(err)
	}
	var counts int64
	for _, d := range rt.Records {
		counts += d.Count
	}
	if rt.Total == counts || counts == 0 {
		t.Errorf("response_time total %d equals Σcount %d; it must not, to catch a client that reads it", rt.Total, counts)
	}

	// ranking and performance are keyed by agent.
	for _, m := range []string{"chats/ranking", "agents/performance"} {
		r = e.post(t, m, `{"filters":{"from":"2026-03-23T00:00:00Z","to":"2026-03-29T23:59:59Z"}}`)
		var a struct{ Records map[string]map[string]float64 }
		if err := json.Unmarshal(r.body, &a); err != nil || len(a.Records) == 0 {
			t.Fatalf("%s: %s", m, r.body)
		}
		for agent := range a.Records {
			if !strings.Contains(agent, "@") {
				t.Errorf("%s: key %q is not an agent", m, agent)
			}
		}
	}

	// unique_visitors: a summary, and distinct visitors do not add up over days.
	visitors := func(from, to string) int64 {
		r := e.post(t, "customers/unique_visitors", `{"filters":{"from":"`+from+`","to":"`+to+`"}}`)
		var v struct {
			Summary struct {
				UniqueVisitors int64 `json:"unique_visitors"`
			}
		}
		if err := json.Unmarshal(r.body, &v); err != nil || r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		return v.Summary.UniqueVisitors
	}
	month := visitors("2026-03-01T00:00:00Z", "2026-03-31T23:59:59Z")
	var days int64
	for d := 1; d <= 31; d++ {
		day := time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC)
		days += visitors(day.Format(time.RFC3339), day.Add(24*time.Hour-time.Second).Format(time.RFC3339))
	}
	if month <= 0 || month >= days {
		t.Errorf("unique visitors of March %d, sum of its days %d: they must not add up", month, days)
	}
}

// TestV36DaysInZone: the days of a v3.6 answer are the requested zone's,
// across a DST change, and add up to v2's days asked for in that zone.
func TestV36DaysInZone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Seed: 5})
	r := e.post(t, "chats/total_chats", week)
	var a struct {
		Records map[string]struct{ Total int64 }
	}
	if err := json.Unmarshal(r.body, &a); err != nil {
		t.Fatal(err)
	}
	v2 := e.object(t, "chats/total_chats", "date_from=2026-03-23&date_to=2026-03-29&timezone=Europe/Warsaw")
	if len(a.Records) != 7 || len(v2) != 7 {
		t.Fatalf("days: v3.6 %d, v2 %d", len(a.Records), len(v2))
	}
	for day, rec := range v2 {
		if got, want := a.Records[day].Total, int64(rec.(map[string]any)["chats"].(float64)); got != want {
			t.Errorf("%s: v3.6 %d, v2 %d", day, got, want)
		}
	}
}

// TestV36FaultsAndLifecycle: the fault injection answers v3.6 with v3.6
// error bodies, and --deprecation sends the header on every answer.
func TestV36FaultsAndLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Seed: 1, Deprecation: "2026-09-30", Faults: []Fault{
		{Kind: Fault5xx, First: 1, Endpoint: "v3.6/chats/ratings"},
		{Kind: Fault429, First: 1, Endpoint: "v3.6/chats/engagement", RetryAfter: 2 * time.Second},
		{Kind: FaultMalformed, First: 1, Endpoint: "v3.6/chats/duration"},
	}})
	for _, tt := range []struct {
		method string
		status int
		typ    string
	}{
		{"chats/ratings", 503, "service_unavailable"},
		{"chats/engagement", 429, "too_many_requests"},
	} {
		r := e.post(t, tt.method, week)
		if typ, _ := v36Error(t, r); r.status != tt.status || typ != tt.typ {
			t.Errorf("%s: %d %s", tt.method, r.status, typ)
		}
		if r.header.Get("Deprecation") != "2026-09-30" {
			t.Errorf("%s: no Deprecation header on an error", tt.method)
		}
		if r2 := e.post(t, tt.method, week); r2.status != 200 {
			t.Errorf("%s: second request %d", tt.method, r2.status)
		}
	}
	if r := e.post(t, "chats/engagement", strings.Replace(week, "Warsaw", "Berlin", 1)); r.status != 429 || r.header.Get("Retry-After") != "2" {
		t.Errorf("another body is another request, failed first: %d %q", r.status, r.header.Get("Retry-After"))
	}
	r := e.post(t, "chats/duration", week)
	if r.status != 200 || json.Valid(r.body) {
		t.Errorf("malformed: %d %s", r.status, r.body)
	}
	if r := e.get(t, "chats/total_chats", "date_from=2026-03-23&date_to=2026-03-23"); r.header.Get("Deprecation") != "2026-09-30" {
		t.Error("v2 answer without the Deprecation header")
	}
	if _, err := ParseFaults("5xx:first=1:endpoint=v3.6/chats/ranking"); err != nil {
		t.Errorf("ParseFaults of a v3.6 method: %v", err)
	}
	if _, err := ParseFaults("5xx:first=1:endpoint=v3.6/chats/nope"); err == nil {
		t.Error("ParseFaults accepted an unknown v3.6 method")
	}
}

// FuzzV36Request feeds arbitrary bodies to every v3.6 method: a body is
// either refused with a validation error or answered with valid JSON whose
// days lie in the range asked for.
func FuzzV36Request(f *testing.F) {
	f.Add(week, uint8(0))
	f.Add(`{"filters":{"from":"2026-03-01T00:00:00-05:00","to":"2026-03-01T23:59:59-05:00","groups":{"values":[0,2]},"agents":{"values":["emma.jones@example.com"]},"tags":{"values":["vip","x"]}}}`, uint8(3))
	f.Add(`{"filters":{"from":"2026-03-01T00:00:00Z","to":"2026-03-01T09:59:59Z","properties":{"routing":{"unreplied":{"values":[true]}}}}}`, uint8(1))
	f.Add(`{"timezone":"Asia/Kolkata","distribution":"day","filters":{"from":"0001-01-01T00:00:00Z","to":"0001-01-02T00:00:00Z"}}`, uint8(7))
	f.Add(`{}`, uint8(2))
	s, err := New(Options{Seed: 1, Login: "l", APIKey: "k"})
	if err != nil {
		f.Fatal(err)
	}
	names := make([]string, 0, len(v36Methods))
	for n := range v36Methods {
		names = append(names, n)
	}
	slices.Sort(names)
	f.Fuzz(func(t *testing.T, body string, which uint8) {
		name := names[int(which)%len(names)]
		m := v36Methods[name]
		q, err := s.parseV36(m, name, []byte(body), testNow)
		if err != nil {
			return // answered 400 with the message
		}
		if q.to < q.from {
			t.Fatalf("accepted a reversed range %d..%d", q.from, q.to)
		}
		if q.to-q.from > 40*86400 {
			return // valid, but too slow to answer on every fuzz input
		}
		out := s.answerV36(m, name, &q)
		if !json.Valid(out) {
			t.Fatalf("invalid JSON for %q: %.200s", body, out)
		}
	})
}
