package sim

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAuthAndVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Seed: 1})
	tests := []struct {
		name    string
		method  string
		path    string
		login   string
		key     string
		version string
		want    int
	}{
		{"ok", "GET", "/reports/chats/total_chats", testLogin, testKey, "2", 200},
		{"no auth", "GET", "/reports/chats/total_chats", "", "", "2", 401},
		{"wrong key", "GET", "/reports/chats/total_chats", testLogin, "nope", "2", 401},
		{"wrong login", "GET", "/reports/chats/total_chats", "x@example.com", testKey, "2", 401},
		{"no version", "GET", "/reports/chats/total_chats", testLogin, testKey, "", 400},
		{"version 3", "GET", "/reports/chats/total_chats", testLogin, testKey, "3", 400},
		{"unknown report", "GET", "/reports/chats/nope", testLogin, testKey, "2", 404},
		{"not reports", "GET", "/agents", testLogin, testKey, "2", 404},
		{"unknown path without auth", "GET", "/nope", "", "", "2", 401},
		{"v3.6 under a wrong prefix", "POST", "/api/v3.6/reports/chats/total_chats", testLogin, testKey, "", 404},
		{"post", "POST", "/reports/chats/total_chats", testLogin, testKey, "2", 405},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, context.Background(), tc.method, tc.path, func(r *http.Request) {
				if tc.login != "" {
					r.SetBasicAuth(tc.login, tc.key)
				}
				if tc.version != "" {
					r.Header.Set("X-API-Version", tc.version)
				}
			})
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.status, tc.want, r.body)
			}
			if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Errorf("content type %q", r.header.Get("Content-Type"))
			}
			if tc.want != 200 {
				var body struct{ Error string }
				if err := json.Unmarshal(r.body, &body); err != nil || body.Error == "" {
					t.Errorf("error body %s (%v)", r.body, err)
				}
				if strings.Contains(string(r.body), testKey) {
					t.Errorf("body leaks the api key: %s", r.body)
				}
			}
		})
	}
	if got := e.sim.Requests(); got != int64(len(tests)) {
		t.Errorf("Requests() = %d, want %d", got, len(tests))
	}
	// ok, no auth, wrong key, wrong login, no version, version 3, post
	if got := e.sim.RequestsTo("chats/total_chats"); got != 7 {
		t.Errorf("RequestsTo(chats/total_chats) = %d, want 7", got)
	}
}

func TestArguments(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Seed: 1})
	tests := []struct {
		name, ep, query string
		want            int
		keys            int // number of buckets when 200; -1 to skip
	}{
		{"defaults: 31 days to today", "chats/total_chats", "", 200, 31},
		{"single day: hours", "chats/total_chats", qs("date_from", "2026-11-10", "date_to", "2026-11-10"), 200, 24},
		{"single day by day", "chats/total_chats", qs("date_from", "2026-11-10", "date_to", "2026-11-10", "group_by", "day"), 200, 1},
		{"from only: to today", "chats/total_chats", qs("date_from", "2026-11-20"), 200, 6},
		{"to only: 30 days back", "chats/total_chats", qs("date_to", "2026-11-20"), 200, 31},
		{"month", "chats/goals", qs("date_from", "2025-12-15", "date_to", "2026-11-10", "group_by", "month"), 200, 12},
		{"two years", "chats/total_chats", qs("date_from", "2024-11-25", "date_to", "2026-11-24", "group_by", "month"), 200, 25},
		{"too long", "chats/total_chats", qs("date_from", "2024-01-01", "date_to", "2026-11-24"), 400, -1},
		{"bad date", "chats/total_chats", qs("date_from", "2026-13-01"), 400, -1},
		{"bad date format", "chats/total_chats", qs("date_to", "25.11.2026"), 400, -1},
		{"from after to", "chats/total_chats", qs("date_from", "2026-11-10", "date_to", "2026-11-09"), 400, -1},
		{"from after today", "chats/total_chats", qs("date_from", "2026-12-10"), 400, -1},
		{"unknown zone", "chats/total_chats", qs("timezone", "Mars/Olympus"), 400, -1},
		{"Local is no zone", "chats/total_chats", qs("timezone", "Local"), 400, -1},
		{"zone ok", "chats/total_chats", qs("timezone", "America/Phoenix"), 200, 31},
		{"zone ignored where not accepted", "chats/chatting_time", qs("timezone", "Mars/Olympus"), 200, 31},
		{"bad group_by", "chats/total_chats", qs("group_by", "week"), 400, -1},
		{"hour over days", "chats/total_chats", qs("date_from", "2026-11-09", "date_to", "2026-11-10", "group_by", "hour"), 400, -1},
		{"group_by ignored where not accepted", "availability", qs("group_by", "week", "date_from", "2026-11-09", "date_to", "2026-11-10"), 200, 2},
		{"bad group", "chats/total_chats", qs("group", "sales"), 400, -1},
		{"unknown group: zeros", "chats/total_chats", qs("group", "9"), 200, 31},
		{"agent ignored where not accepted", "tickets/new_tickets", qs("agent", "x"), 200, 31},
		{"occupancy needs weekday", "chats/agents_occupancy", "", 400, -1},
		{"occupancy bad weekday", "chats/agents_occupancy", qs("weekday", "monday"), 400, -1},
		{"occupancy", "chats/agents_occupancy", qs("weekday", "fri"), 200, 4 * 24},
		{"occupancy range", "chats/agents_occupancy", qs("weekday", "mon", "date_from", "2026-11-01", "date_to", "2026-11-30"), 200, 5 * 24},
		{"ranking", "chats/ratings/ranking", qs("group_by", "bogus", "timezone", "bogus"), 200, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get(t, tc.ep, tc.query)
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.status, tc.want, r.body)
			}
			var m map[string]any
			if err := json.Unmarshal(r.body, &m); err != nil {
				t.Fatalf("%v: %s", err, r.body)
			}
			if tc.want != 200 {
				if msg, _ := m["error"].(string); msg == "" || strings.HasPrefix(msg, "bad argument") {
					t.Errorf("error %q", msg)
				}
				return
			}
			if tc.keys >= 0 && len(m) != tc.keys {
				t.Errorf("%d keys, want %d: %v", len(m), tc.keys, sortedKeys(m))
			}
		})
	}
}

// TestShapes checks every endpoint's field names against the API reference.
func TestShapes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Seed: 5})
	wait := "average,count,max,min"
	tests := map[string]string{
		"chats/total_chats":                   "chats",
		"chats/engagement":                    "chats_from_auto_invite,chats_from_immediate_start,chats_from_manual_invite",
		"chats/ratings":                       "bad,chats,good",
		"chats/queued_visitors":               "entered_chat{count},left_queue{count},queued{count}",
		"chats/queued_visitors/waiting_times": "entered_chat{" + wait + "},left_queue{" + wait + "},queued{" + wait + "}",
		"availability":                        "hours",
		"chats/chatting_time":                 "hours",
		"chats/first_response_time":           "first_response_time{count,seconds}",
		"chats/response_time":                 "avg_response_time{count,seconds}",
		"chats/goals":                         "goals",
		"chats/greetings":                     "accepted,displayed,goals",
		"tickets/new_tickets":                 "new_tickets",
		"tickets/first_response_time":         "count,hours",
		"tickets/solved_tickets":              "solved_tickets",
		"tickets/resolution_time":             "count,hours",
		"tickets/ticket_sources":              "tickets_from_chat,tickets_from_chat_window,tickets_from_mail",
		"tickets/ratings":                     "bad,good",
	}
	for ep, want := range tests {
		t.Run(ep, func(t *testing.T) {
			for _, gran := range []string{"day", "month"} {
				m := e.object(t, ep, qs("date_from", "2026-11-01", "date_to", "2026-11-07", "group_by", gran))
				for key, v := range m {
					b := v.(map[string]any)
					if gran == "month" && ep != "availability" && ep != "chats/chatting_time" {
						if b["begin"] != "2026-11-01" || b["end"] != "2026-11-07" {
							t.Errorf("%s: begin %v end %v", key, b["begin"], b["end"])
						}
						delete(b, "begin")
						delete(b, "end")
					}
					if got := shapeOf(b); got != want {
						t.Errorf("%s %s: shape %s, want %s", gran, key, got, want)
					}
				}
			}
		})
	}
	for _, ep := range []string{"availability", "chats/chatting_time"} {
		m := e.object(t, ep, qs("date_from", "2026-11-02", "date_to", "2026-11-02"))
		for key, v := range m {
			if got := shapeOf(v.(map[string]any)); got != "minutes" {
				t.Errorf("%s single day %s: shape %s, want minutes", ep, key, got)
			}
		}
	}
	for _, ep := range []string{"chats/ratings/ranking", "tickets/ratings/ranking"} {
		m := e.object(t, ep, qs("date_from", "2026-10-01", "date_to", "2026-11-07"))
		rk, _ := m["ranking"].([]any)
		if len(rk) != nAgents {
			t.Fatalf("%s: %d agents ranked, want %d", ep, len(rk), nAgents)
		}
		last := 2.0
		for _, v := range rk {
			r := v.(map[string]any)
			if got := shapeOf(r); got != "bad,good,name,score,total" {
				t.Errorf("%s: shape %s", ep, got)
			}
			good, bad, total, score := r["good"].(float64), r["bad"].(float64), r["total"].(float64), r["score"].(float64)
			if good+bad != total || score != good/total || score > last {
				t.Errorf("%s: entry %v (previous score %v)", ep, r, last)
			}
			last = score
		}
	}
}

// shapeOf lists an object's keys, sorted, with nested objects' keys in braces
// (the seconds under min, max and average are left out).
func shapeOf(m map[string]any) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		if sub, ok := m[k].(map[string]any); ok {
			if _, ok := sub["seconds"]; ok && len(sub) == 1 {
				parts = append(parts, k)
				continue
			}
			parts = append(parts, k+"{"+shapeOf(sub)+"}")
			continue
		}
		parts = append(parts, k)
	}
	return strings.Join(parts, ",")
}

// TestNulls: averages over nothing are null, as the API sends them.
func TestNulls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Seed: 5})
	q := qs("date_from", "2026-11-01", "date_to", "2026-11-01", "agent", "nobody@example.com", "group", "9")
	for ep, want := range map[string]string{
		"chats/first_response_time":           `"00:00":{"first_response_time":{"count":0,"seconds":null}}`,
		"chats/response_time":                 `"00:00":{"avg_response_time":{"count":0,"seconds":null}}`,
		"tickets/first_response_time":         `"00:00":{"count":0,"hours":null}`,
		"tickets/resolution_time":             `"00:00":{"count":0,"hours":null}`,
		"chats/queued_visitors/waiting_times": `"00:00":{"queued":{"count":0,"min":{"seconds":null},"max":{"seconds":null},"average":{"seconds":null}}`,
		"chats/ratings/ranking":               `{"ranking":[]}`,
	} {
		if r := e.get(t, ep, q); !strings.Contains(string(r.body), want) {
			t.Errorf("%s: %.300s lacks %s", ep, r.body, want)
		}
	}
}

// TestRealism keeps the numbers in the ranges a support team would see.
func TestRealism(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Seed: 9})
	week := qs("date_from", "2026-11-09", "date_to", "2026-11-15", "group_by", "month")
	one := func(ep string) agg { return aggOf(e.object(t, ep, week), nil) }
	chats := one("chats/total_chats")["chats"]
	rt := one("chats/ratings")
	frt := one("chats/first_response_time")
	tickets := one("tickets/new_tickets")["new_tickets"]
	avail := one("availability")["hours"]
	checks := []struct {
		name   string
		v      float64
		lo, hi float64
	}{
		{"chats a week", chats, 200, 700},
		{"satisfaction", rt["good"] / (rt["good"] + rt["bad"]), 0.75, 0.95},
		{"first response seconds", frt["first_response_time.seconds*count"] / frt["first_response_time.count"], 20, 90},
		{"tickets a week", tickets, 50, 250},
		{"agent hours a week", avail, 100, 300},
	}
	for _, c := range checks {
		if c.v < c.lo || c.v > c.hi {
			t.Errorf("%s = %v, want %v..%v", c.name, c.v, c.lo, c.hi)
		}
	}
	// seasonality: weekday business hours are busier than nights and weekends
	day := aggOf(e.object(t, "chats/total_chats", qs("date_from", "2026-11-09", "date_to", "2026-11-13")), nil)["chats"]
	weekend := aggOf(e.object(t, "chats/total_chats", qs("date_from", "2026-11-14", "date_to", "2026-11-15")), nil)["chats"]
	if day/5 < 3*weekend/2 {
		t.Errorf("weekday average %v not well above weekend average %v", day/5, weekend/2)
	}
}

func TestOccupancy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Seed: 2}) // testNow is Wednesday 2026-11-25
	tests := []struct {
		name, query string
		dates       []string
	}{
		{"last four wednesdays include today", qs("weekday", "wed"), []string{"2026-11-04", "2026-11-11", "2026-11-18", "2026-11-25"}},
		{"last four mondays", qs("weekday", "mon"), []string{"2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"}},
		{"last four thursdays", qs("weekday", "thu"), []string{"2026-10-29", "2026-11-05", "2026-11-12", "2026-11-19"}},
		{"range", qs("weekday", "sun", "date_from", "2026-03-01", "date_to", "2026-03-21"), []string{"2026-03-01", "2026-03-08", "2026-03-15"}},
		{"range without that weekday", qs("weekday", "sat", "date_from", "2026-03-02", "date_to", "2026-03-06"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := e.object(t, "chats/agents_occupancy", tc.query)
			dates := map[string]int{}
			peak := 0.0
			for k, v := range m {
				day, hour, ok := strings.Cut(k, " ")
				n, isNum := v.(float64)
				if !ok || len(hour) != 5 || !isNum || n != float64(int(n)) || n < 0 {
					t.Fatalf("bad point %q: %v", k, v)
				}
				dates[day]++
				peak = max(peak, n)
			}
			var got []string
			for d, n := range dates {
				if n != 24 {
					t.Errorf("%s: %d hours", d, n)
				}
				got = append(got, d)
			}
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(tc.dates, ",") {
				t.Errorf("dates %v, want %v", got, tc.dates)
			}
			if len(tc.dates) > 0 && peak == 0 {
				t.Error("no chats at all")
			}
		})
	}
}

// TestConcurrent hits one server from many goroutines; run with -race.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Seed: 4, Faults: []Fault{{Kind: Fault5xx, Rate: 0.2}, {Kind: Fault429, First: 1, RetryAfter: time.Second}}})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 10 {
				ep := bucketReports[(i+j)%len(bucketReports)]
				r, err := e.try(context.Background(), "GET", "/reports/"+ep+"?"+qs("date_from", "2026-11-01", "date_to", "2026-11-07", "timezone", "Europe/Warsaw"),
					func(r *http.Request) { r.SetBasicAuth(testLogin, testKey); r.Header.Set("X-API-Version", "2") })
				if err != nil || (r.status != 200 && r.status != 503 && r.status != 429) {
					t.Errorf("%s: %d %v", ep, r.status, err)
				}
			}
		})
	}
	wg.Wait()
	if got := e.sim.Requests(); got != 80 {
		t.Errorf("Requests() = %d, want 80", got)
	}
}
