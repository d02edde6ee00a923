package livechat

import (
	"errors"
	"reflect"
	"testing"
	"unicode/utf8"
)

// checkDecoded checks what must hold for any input: an error is a
// *DecodeError naming the endpoint with a short printable excerpt, and an
// answer is in time order with sane buckets.
func checkDecoded(t *testing.T, info ReportInfo, body []byte, v any, err error) {
	t.Helper()
	if err != nil {
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
		}
		if de.Endpoint != info.Endpoint {
			t.Fatalf("DecodeError.Endpoint = %q, want %q", de.Endpoint, info.Endpoint)
		}
		if !utf8.ValidString(de.Excerpt) || utf8.RuneCountInString(de.Excerpt) > excerptLen {
			t.Fatalf("bad excerpt %q", de.Excerpt)
		}
		if de.Offset < 0 || de.Offset > int64(len(body)) {
			t.Fatalf("offset %d outside body of %d bytes", de.Offset, len(body))
		}
		return
	}
	switch a := v.(type) {
	case Ranking:
		if a.Endpoint != info.Endpoint {
			t.Fatalf("endpoint %q", a.Endpoint)
		}
		for _, e := range a.Entries {
			if e.Agent == "" || e.Good < 0 || e.Bad < 0 || e.Total < 0 || e.Score < 0 {
				t.Fatalf("bad entry %+v", e)
			}
		}
	case Occupancy:
		for i, p := range a.Points {
			if p.Hour < 0 || p.Hour > 23 || p.Max < 0 {
				t.Fatalf("bad point %+v", p)
			}
			if i > 0 {
				prev := a.Points[i-1]
				if p.Day.Before(prev.Day) || (p.Day == prev.Day && p.Hour < prev.Hour) {
					t.Fatalf("points out of order: %+v then %+v", prev, p)
				}
			}
		}
	default:
		// A Series[T]: check its buckets through reflection, one check for
		// all 16 bucket types.
		s := reflect.ValueOf(v)
		if s.Kind() != reflect.Struct || s.FieldByName("Endpoint").String() != info.Endpoint {
			t.Fatalf("decoded %T for %s", v, info.Endpoint)
		}
		bs := s.FieldByName("Buckets")
		var prevStart Date
		prevHour := -2
		for i := range bs.Len() {
			b := bs.Index(i)
			start := b.FieldByName("Start").Interface().(Date)
			end := b.FieldByName("End").Interface().(Date)
			hour := int(b.FieldByName("Hour").Int())
			if end.Before(start) || hour < -1 || hour > 23 {
				t.Fatalf("bad bucket %+v", b.Interface())
			}
			if i > 0 && (start.Before(prevStart) || (start == prevStart && hour <= prevHour)) {
				t.Fatalf("buckets out of order at %d", i)
			}
			prevStart, prevHour = start, hour
		}
	}
}

func fuzzReports(f *testing.F, shape Shape, seeds []string) {
	for _, s := range seeds {
		f.Add(uint8(0), s)
	}
	var infos []ReportInfo
	for _, i := range Reports {
		if i.Shape == shape && i.Endpoint != "" {
			infos = append(infos, i)
		}
	}
	q := Query{From: date("2026-03-02"), To: date("2026-03-02")}
	f.Fuzz(func(t *testing.T, pick uint8, body string) {
		info := infos[int(pick)%len(infos)]
		v, err := decode(info, q, []byte(body))
		checkDecoded(t, info, []byte(body), v, err)
	})
}

// FuzzDecodeBuckets feeds arbitrary bodies to every bucketed report.
func FuzzDecodeBuckets(f *testing.F) {
	fuzzReports(f, ShapeBuckets, []string{
		`{"00:00":{"chats":18},"01:00":{"chats":19.0}}`,
		`{"2026-03-02":{"good":1,"bad":2,"chats":3}}`,
		`{"2026-03":{"begin":"2026-03-02","end":"2026-03-31","goals":4}}`,
		`{"2026-03-02":{"queued":{"count":1,"min":{"seconds":null},"max":{"seconds":2},"average":{"seconds":1}}}}`,
		`{"10:00":{"minutes":30}}`,
		`{"2026-03-02":{"first_response_time":{"count":0,"seconds":null}}}`,
		`{"2026-03-02":{"count":1e3,"hours":-0}}`,
		`{"2026-03-02":1,"":[]}`,
	})
}

// FuzzDecodeRanking feeds arbitrary bodies to the ranking reports.
func FuzzDecodeRanking(f *testing.F) {
	fuzzReports(f, ShapeRanking, []string{
		`{"ranking":[{"good":1,"bad":2,"total":3,"score":0.3,"name":"a@b"}]}`,
		`{"ranking":null}`,
		`{"ranking":[{}]}`,
	})
}

// FuzzDecodeOccupancy feeds arbitrary bodies to agents_occupancy.
func FuzzDecodeOccupancy(f *testing.F) {
	fuzzReports(f, ShapeOccupancy, []string{
		`{"2015-03-16 00:00":0,"2015-03-16 01:00":2.0}`,
		`{"2015-03-16 00:30":1}`,
		`{"...":"..."}`,
	})
}

// FuzzDecodeV36 feeds arbitrary bodies to every v3.6 decoder: whatever the
// input, an error is a *DecodeError naming the method with a short
// printable excerpt, and an answer has sane buckets in time order, inside
// the range asked for.
func FuzzDecodeV36(f *testing.F) {
	for _, s := range []string{
		`{"name":"total-chats-report","total":369,"records":{"2026-03-02":{"total":37,"continuous":15},"2026-03-03":{}}}`,
		`{"records":{"2026-03-02":{"left_queue":{"count":13,"max":100,"avg":20.5},"queued":{"count":2,"avg":2.5}}}}`,
		`{"records":{"2026-03-02":{"1":{"accepted":1,"displayed":2},"18":{"canceled":3}}}}`,
		`{"records":{"a@example.com":{"total":19,"good":13,"bad":6,"score":0.42},"b@example.com":{}}}`,
		`{"records":{"a@example.com":{"chatting_time":55}},"summary":{"chats_count":17}}`,
		`{"name":"visitors-report","summary":{"unique_visitors":4,"page_views":23}}`,
		`{"records":{"2026-03-02":{"count":3,"first_response_time":14.22,"response_time":1,"duration":9}}}`,
		`{"records":{"2026-03-02":{"hours":0.15,"good":1,"chats":2,"started_by_agent":3}}}`,
	} {
		f.Add(uint8(0), s)
	}
	var methods []Method
	for _, r := range ReportsOn(V36) {
		m, _ := MethodOf(V36, r)
		methods = append(methods, m)
	}
	q := Query{From: date("2026-03-02"), To: date("2026-03-04")}
	f.Fuzz(func(t *testing.T, pick uint8, body string) {
		m := methods[int(pick)%len(methods)]
		v, err := decodeV36(m, q, []byte(body))
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
			}
			if de.Endpoint != m.Name() || !utf8.ValidString(de.Excerpt) || utf8.RuneCountInString(de.Excerpt) > excerptLen {
				t.Fatalf("bad DecodeError %+v", de)
			}
			if de.Offset < 0 || de.Offset > int64(len(body)) {
				t.Fatalf("offset %d outside body of %d bytes", de.Offset, len(body))
			}
			return
		}
		if r, ok := v.(Ranking); ok {
			for i, e := range r.Entries {
				if e.Agent == "" || e.Good < 0 || e.Bad < 0 || e.Total < 0 || e.Score < 0 {
					t.Fatalf("bad entry %+v", e)
				}
				if i > 0 && r.Entries[i-1].Score < e.Score {
					t.Fatalf("ranking out of order")
				}
			}
			return
		}
		s := reflect.ValueOf(v)
		if s.Kind() != reflect.Struct || s.FieldByName("Endpoint").String() != m.Name() {
			t.Fatalf("decoded %T for %s", v, m.Name())
		}
		bs := s.FieldByName("Buckets")
		var prev Date
		for i := range bs.Len() {
			b := bs.Index(i)
			start := b.FieldByName("Start").Interface().(Date)
			end := b.FieldByName("End").Interface().(Date)
			if end.Before(start) || start.Before(q.From) || end.After(q.To) || b.FieldByName("Hour").Int() != -1 {
				t.Fatalf("bad bucket %+v", b.Interface())
			}
			if i > 0 && start.Before(prev) {
				t.Fatalf("buckets out of order at %d", i)
			}
			prev = start
		}
	})
}
