package sim

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkYearByMonth is the most expensive ordinary query: a year in
// month buckets, in a zone with DST, through ServeHTTP.
func BenchmarkYearByMonth(b *testing.B) {
	s, err := New(Options{Seed: 1, Login: testLogin, APIKey: testKey})
	if err != nil {
		b.Fatal(err)
	}
	for _, ep := range []string{"chats/total_chats", "chats/queued_visitors/waiting_times", "tickets/resolution_time", "availability", "chats/ratings/ranking"} {
		b.Run(ep, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/reports/"+ep+"?"+qs("date_from", "2025-11-25", "date_to", "2026-11-24", "group_by", "month", "timezone", "Europe/Warsaw"), nil)
			req.SetBasicAuth(testLogin, testKey)
			req.Header.Set("X-API-Version", "2")
			for b.Loop() {
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
