package sim

import (
	"strings"
	"testing"
	"time"
)

// bucketReports are the endpoints answered in time buckets.
var bucketReports = []string{
	"chats/total_chats", "chats/engagement", "chats/ratings", "chats/queued_visitors",
	"chats/queued_visitors/waiting_times", "availability", "chats/chatting_time",
	"chats/first_response_time", "chats/response_time", "chats/goals", "chats/greetings",
	"tickets/new_tickets", "tickets/first_response_time", "tickets/solved_tickets",
	"tickets/resolution_time", "tickets/ticket_sources", "tickets/ratings",
}

// filters are applied to every report; a report ignores those it does not accept.
var filters = []struct{ name, query string }{
	{"none", ""},
	{"group", qs("group", "1")},
	{"agent", qs("agent", "piotr.nowak@example.com")},
	{"tags", "tag%5B%5D=sales&tag%5B%5D=vip"},
}

func aggOf(m map[string]any, keep func(key string, bucket map[string]any) bool) agg {
	a := agg{}
	for k, v := range m {
		b, _ := v.(map[string]any)
		if keep == nil || keep(k, b) {
			delete(b, "begin")
			delete(b, "end")
			a.add(b)
		}
	}
	return a
}

// TestHoursAddUpToDays: the hour buckets of a day sum to that day's bucket
// of a longer query, in zones with DST changes that week, for every filter.
func TestHoursAddUpToDays(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Seed: 7})
	days := []struct{ zone, day, from, to string }{
		{"UTC", "2026-11-17", "2026-11-16", "2026-11-22"},
		{"America/New_York", "2026-03-08", "2026-03-06", "2026-03-10"}, // spring forward: 23 hours
		{"America/New_York", "2026-11-01", "2026-10-30", "2026-11-03"}, // fall back: 25 hours
		{"Europe/Warsaw", "2026-03-29", "2026-03-27", "2026-03-31"},
		{"Europe/Warsaw", "2026-10-25", "2026-10-23", "2026-10-27"},
		{"Asia/Kolkata", "2026-06-10", "2026-06-08", "2026-06-12"}, // half-hour offset
	}
	for _, ep := range bucketReports {
		for _, d := range days {
			for _, f := range filters {
				t.Run(ep+"/"+d.zone+"/"+d.day+"/"+f.name, func(t *testing.T) {
					hours := e.object(t, ep, qs("date_from", d.day, "date_to", d.day, "timezone", d.zone)+"&"+f.query)
					if len(hours) != 24 {
						t.Fatalf("%d hour buckets, want 24: %v", len(hours), sortedKeys(hours))
					}
					daily := e.object(t, ep, qs("date_from", d.from, "date_to", d.to, "timezone", d.zone, "group_by", "day")+"&"+f.query)
					day, ok := daily[d.day].(map[string]any)
					if !ok {
						t.Fatalf("no bucket %s in %v", d.day, sortedKeys(daily))
					}
					want := agg{}
					want.add(day)
					if diff := aggOf(hours, nil).diff(want); diff != "" {
						t.Error(diff)
					}
				})
			}
		}
	}
}

// TestDaysAddUpToMonths: day buckets sum to month buckets, whose begin and
// end clip the range.
func TestDaysAddUpToMonths(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Seed: 11})
	for _, ep := range bucketReports {
		if ep == "availability" || ep == "chats/chatting_time" {
			continue // no group_by: always days
		}
		for _, zone := range []string{"UTC", "America/New_York", "Europe/Warsaw"} {
			for _, f := range filters {
				t.Run(ep+"/"+zone+"/"+f.name, func(t *testing.T) {
					base := qs("date_from", "2026-02-20", "date_to", "2026-04-10", "timezone", zone) + "&" + f.query
					days := e.object(t, ep, base+"&group_by=day")
					months := e.object(t, ep, base+"&group_by=month")
					if got := strings.Join(sortedKeys(months), ","); got != "2026-02,2026-03,2026-04" {
						t.Fatalf("months %s", got)
					}
					for key, v := range months {
						m := v.(map[string]any)
						begin, end := m["begin"].(string), m["end"].(string)
						want := map[string][2]string{
							"2026-02": {"2026-02-20", "2026-02-28"},
							"2026-03": {"2026-03-01", "2026-03-31"},
							"2026-04": {"2026-04-01", "2026-04-10"},
						}[key]
						wantBegin, wantEnd := want[0], want[1]
						if begin != wantBegin || end != wantEnd {
							t.Errorf("%s: begin/end %s..%s, want %s..%s", key, begin, end, wantBegin, wantEnd)
						}
						got := aggOf(days, func(k string, _ map[string]any) bool { return k >= begin && k <= end })
						if diff := got.diff(aggOf(map[string]any{key: m}, nil)); diff != "" {
							t.Errorf("%s: %s", key, diff)
						}
					}
				})
			}
		}
	}
}

// TestFilters: groups partition the cells, so their answers add up to the
// unfiltered one; other filters give subsets, and tag[] is a union.
func TestFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Seed: 3})
	counts := []string{ // reports whose every number is a count
		"chats/total_chats", "chats/engagement", "chats/ratings", "chats/queued_visitors",
		"chats/goals", "chats/greetings", "tickets/new_tickets", "tickets/solved_tickets",
		"tickets/ticket_sources", "tickets/ratings", "chats/chatting_time",
	}
	period := qs("date_from", "2026-11-02", "date_to", "2026-11-15", "group_by", "month")
	total := func(ep, filter string) agg { return aggOf(e.object(t, ep, period+"&"+filter), nil) }
	for _, ep := range append(counts, "chats/first_response_time", "tickets/resolution_time", "chats/queued_visitors/waiting_times") {
		t.Run(ep, func(t *testing.T) {
			all := total(ep, "")
			groups := agg{}
			for _, g := range []string{"0", "1", "2"} {
				for k, v := range total(ep, qs("group", g)) {
					switch {
					case strings.HasSuffix(k, ".min"):
						if cur, ok := groups[k]; !ok || v < cur {
							groups[k] = v
						}
					case strings.HasSuffix(k, ".max"):
						groups[k] = max(groups[k], v)
					default:
						groups[k] += v
					}
				}
			}
			if diff := groups.diff(all); diff != "" {
				t.Errorf("groups 0+1+2 != total: %s", diff)
			}
			nonzero := false
			for _, v := range all {
				nonzero = nonzero || v > 0
			}
			if !nonzero {
				t.Fatalf("no data: %v", all)
			}
		})
	}
	for _, ep := range counts {
		t.Run(ep+"/subsets", func(t *testing.T) {
			if endpoints[ep].accepts&pTag == 0 {
				t.Skip("takes no tag[]")
			}
			all := total(ep, "")
			sales, vip := total(ep, "tag%5B%5D=sales"), total(ep, "tag%5B%5D=vip")
			both := total(ep, "tag%5B%5D=sales&tag%5B%5D=vip")
			sum := agg{}
			for _, a := range []agg{sales, vip} {
				for k, v := range a {
					sum[k] += v
				}
			}
			if diff := both.diff(sum); diff != "" {
				t.Errorf("tag sales+vip != sales + vip: %s", diff)
			}
			for name, sub := range map[string]agg{
				"tags":    both,
				"agent":   total(ep, qs("agent", "anna.kowalska@example.com")),
				"group":   total(ep, qs("group", "2")),
				"unknown": total(ep, qs("agent", "nobody@example.com")),
			} {
				for k, v := range sub {
					if v > all[k] {
						t.Errorf("%s: %s %v > unfiltered %v", name, k, v, all[k])
					}
				}
			}
			for k, v := range total(ep, "tag%5B%5D=nosuchtag") {
				if v != 0 {
					t.Errorf("unknown tag: %s = %v", k, v)
				}
			}
		})
	}
	t.Run("availability/agents", func(t *testing.T) {
		all := total("availability", "")
		sum := 0.0
		for _, a := range agentLogins {
			sum += total("availability", qs("agent", a))["hours"]
		}
		if d := sum - all["hours"]; d > 1e-9 || d < -1e-9 || sum == 0 {
			t.Errorf("agents' hours %v, account %v", sum, all["hours"])
		}
	})
}

// TestDeterminism: the seed alone decides the data.
func TestDeterminism(t *testing.T) {
	t.Parallel()
	a, b, c := newEnv(t, Options{Seed: 42}), newEnv(t, Options{Seed: 42}), newEnv(t, Options{Seed: 43})
	for _, ep := range append(bucketReports, "chats/ratings/ranking", "tickets/ratings/ranking") {
		q := qs("date_from", "2026-10-01", "date_to", "2026-10-31", "timezone", "Europe/Warsaw")
		ra, rb, rc := a.get(t, ep, q), b.get(t, ep, q), c.get(t, ep, q)
		if string(ra.body) != string(rb.body) {
			t.Errorf("%s: same seed, different answers", ep)
		}
		if string(ra.body) == string(rc.body) {
			t.Errorf("%s: seeds 42 and 43 give the same answer", ep)
		}
	}
}

// TestDayStartIsTheFirstInstant: a day of the zone starts at its first
// instant, also where a DST change skips midnight (time.Date puts it at
// 23:00 the day before in Santiago, Havana, the Azores) or repeats it
// (Amman, 2021), so a v2 range ending the day before such a change keeps
// its last hour and one starting on it takes none of the day before.
func TestDayStartIsTheFirstInstant(t *testing.T) {
	t.Parallel()
	for _, zone := range []string{"America/Santiago", "America/Havana", "Atlantic/Azores", "Asia/Beirut", "Asia/Amman", "Europe/Warsaw", "UTC"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		for d := civilDay(2000, 1, 1); d < civilDay(2040, 1, 1); d++ {
			start := dayStart(d, loc)
			if dayOf(start) != d || dayOf(start.Add(-time.Nanosecond)) != d-1 {
				t.Fatalf("day %s in %s starts at %s: not its first instant", dayString(d), zone, start.Format(time.RFC3339Nano))
			}
		}
	}
}
