package digest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/livechat"
)

func TestElapsedAt(t *testing.T) {
	t.Parallel()
	ny := mustLoc(t, "America/New_York")
	tests := []struct {
		name string
		at   time.Time
		want Elapsed
		str  string
	}{
		{"midnight", time.Date(2026, 11, 23, 0, 0, 0, 0, ny), Elapsed{}, "00:00"},
		{"on the hour", time.Date(2026, 11, 23, 10, 0, 0, 0, ny), Elapsed{Hour: 10}, "10:00"},
		{"in the hour", time.Date(2026, 11, 23, 10, 45, 0, 0, ny), Elapsed{Hour: 10, Frac: 0.75}, "10:45"},
		{"seconds count", time.Date(2026, 11, 23, 23, 59, 59, 0, ny), Elapsed{Hour: 23, Frac: 3599.0 / 3600}, "23:59"},
		// Read in the zone: 14:30 UTC is 09:30 in New York in November.
		{"utc instant", time.Date(2026, 11, 23, 14, 30, 0, 0, time.UTC), Elapsed{Hour: 9, Frac: 0.5}, "09:30"},
		// Wall clock across DST: 10:00 on the 23-hour day is still hour 10.
		{"spring forward", time.Date(2026, 3, 8, 10, 0, 0, 0, ny), Elapsed{Hour: 10}, "10:00"},
		{"fall back", time.Date(2026, 11, 1, 10, 0, 0, 0, ny), Elapsed{Hour: 10}, "10:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ElapsedAt(tt.at, ny)
			assert.Equal(t, tt.want.Hour, got.Hour)
			assert.InDelta(t, tt.want.Frac, got.Frac, 1e-12)
			assert.Equal(t, tt.str, got.String())
			assert.InDelta(t, (float64(tt.want.Hour)+tt.want.Frac)/24, got.Days(), 1e-12)
		})
	}
	assert.Equal(t, Elapsed{Hour: 14, Frac: 0.5}, ElapsedAt(time.Date(2026, 11, 23, 14, 30, 0, 0, time.UTC), nil))
}

func TestPartial(t *testing.T) {
	t.Parallel()
	for _, k := range []PeriodKind{Today, MonthToDate} {
		assert.True(t, Period{Kind: k}.Partial(), k)
	}
	for _, k := range []PeriodKind{Yesterday, Last7Days, LastWeek, LastMonth, Explicit} {
		assert.False(t, Period{Kind: k}.Partial(), k)
	}
}

// TestWindowWeight pins which buckets each side counts on a partial
// period's cut day: the current side its hours so far (the hour in progress
// whole: the API's bucket holds only what has happened), the compare side
// the same hours with the hour in progress prorated.
func TestWindowWeight(t *testing.T) {
	t.Parallel()
	today := livechat.Date{Year: 2026, Month: 11, Day: 23}
	yesterday := today.AddDays(-1)
	at1045 := Elapsed{Hour: 10, Frac: 0.75}
	at10 := Elapsed{Hour: 10}
	cur := span{r: DateRange{From: today, To: today}, cut: true}
	prev := span{r: DateRange{From: yesterday, To: yesterday}, cut: true, prorate: true}
	whole := span{r: DateRange{From: yesterday, To: today}}
	hour := func(d livechat.Date, h int) row { return row{start: d, end: d, hour: h} }
	tests := []struct {
		name    string
		e       Elapsed
		s       span
		b       row
		want    float64
		wantErr string
	}{
		{"current hour passed", at1045, cur, hour(today, 9), 1, ""},
		{"current hour in progress counts whole", at1045, cur, hour(today, 10), 1, ""},
		{"current hour to come", at1045, cur, hour(today, 11), 0, ""},
		{"compare hour passed", at1045, prev, hour(yesterday, 0), 1, ""},
		{"compare hour in progress is prorated", at1045, prev, hour(yesterday, 10), 0.75, ""},
		{"compare hour to come", at1045, prev, hour(yesterday, 11), 0, ""},
		{"on the hour the hour has not begun", at10, cur, hour(today, 10), 0, ""},
		{"on the hour the compare hour has not begun", at10, prev, hour(yesterday, 10), 0, ""},
		{"on the hour the hour before counts", at10, prev, hour(yesterday, 9), 1, ""},
		{"at midnight nothing counts", Elapsed{}, cur, hour(today, 0), 0, ""},
		{"another side's day", at1045, prev, hour(today, 3), 0, ""},
		{"a side that is not cut counts every hour", at1045, whole, hour(today, 23), 1, ""},
		{"a day bucket on a side that is not cut", at1045, whole, row{start: today, end: today, hour: -1}, 1, ""},
		{"a day bucket on a cut day", at1045, cur, row{start: today, end: today, hour: -1}, 0, "day bucket 2026-11-23 where hours were asked"},
		{"a bucket straddling the side", at1045, cur, row{start: yesterday, end: today, hour: -1}, 0, "straddles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := window{elapsed: tt.e}
			got, err := w.weight(tt.b, tt.s)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.InDelta(t, tt.want, got, 1e-12)
		})
	}
}

// TestNewWindow pins which last days are cut: a partial period's own, and
// its compare period's when that is as long (has a counterpart day).
func TestNewWindow(t *testing.T) {
	t.Parallel()
	e := Elapsed{Hour: 10}
	cur := mustRange(t, "2026-03-01..2026-03-30")
	clipped := mustRange(t, "2026-02-01..2026-02-28")
	w := newWindow(Period{Kind: MonthToDate}, cur, &clipped, e)
	assert.Equal(t, []span{{r: cur, cut: true}, {r: clipped, prorate: true}}, w.sides)
	assert.Equal(t, []livechat.Date{cur.To}, w.cutDays())

	cur = mustRange(t, "2026-11-01..2026-11-29")
	same := mustRange(t, "2026-10-01..2026-10-29")
	w = newWindow(Period{Kind: MonthToDate}, cur, &same, e)
	assert.Equal(t, []span{{r: cur, cut: true}, {r: same, cut: true, prorate: true}}, w.sides)
	assert.Equal(t, []livechat.Date{cur.To, same.To}, w.cutDays())

	w = newWindow(Period{Kind: LastWeek}, cur, &same, e)
	assert.Empty(t, w.cutDays())
	w = newWindow(Period{Kind: Today}, DateRange{From: cur.To, To: cur.To}, nil, e)
	assert.Equal(t, []livechat.Date{cur.To}, w.cutDays())
	assert.False(t, w.hasPrev)
}

// TestPartialPeriodsLikeWithLike builds partial-period digests from the
// simulator and checks each side against the simulator's own hour and day
// buckets: today until the firing meets the compare day until the same
// wall-clock time (the hour in progress prorated), across DST changes and
// month lengths; month to date meets the same days of the previous month.
func TestPartialPeriodsLikeWithLike(t *testing.T) {
	t.Parallel()
	ny := mustLoc(t, "America/New_York")
	warsaw := mustLoc(t, "Europe/Warsaw")
	tests := []struct {
		name    string
		loc     *time.Location
		at      time.Time
		period  PeriodKind
		compare CompareMode
		// The days counted whole on each side, and the cut day of each
		// ("" for none).
		curWhole, prevWhole string
		curCut, prevCut     string
		until               string
	}{
		{"today at 10:00 vs yesterday until 10:00", ny, time.Date(2026, 11, 24, 10, 0, 0, 0, ny), Today, PreviousPeriod,
			"", "", "2026-11-24", "2026-11-23", "10:00"},
		{"today at 10:45 vs same weekday until 10:45", warsaw, time.Date(2026, 11, 24, 10, 45, 0, 0, warsaw), Today, SameWeekdayLastWeek,
			"", "", "2026-11-24", "2026-11-17", "10:45"},
		{"spring forward day vs the day before", ny, time.Date(2026, 3, 8, 10, 30, 0, 0, ny), Today, PreviousPeriod,
			"", "", "2026-03-08", "2026-03-07", "10:30"},
		{"the day after fall back vs fall back day", ny, time.Date(2026, 11, 2, 1, 30, 0, 0, ny), Today, PreviousPeriod,
			"", "", "2026-11-02", "2026-11-01", "01:30"},
		{"month to date nov 29 vs oct 1-29", ny, time.Date(2026, 11, 29, 10, 0, 0, 0, ny), MonthToDate, PreviousPeriod,
			"2026-11-01..2026-11-28", "2026-10-01..2026-10-28", "2026-11-29", "2026-10-29", "10:00"},
		{"month to date mar 30 vs all of february", warsaw, time.Date(2026, 3, 30, 9, 15, 0, 0, warsaw), MonthToDate, PreviousPeriod,
			"2026-03-01..2026-03-29", "2026-02-01..2026-02-28", "2026-03-30", "", "09:15"},
		{"month to date across EU spring forward", warsaw, time.Date(2026, 3, 29, 12, 0, 0, 0, warsaw), MonthToDate, PreviousPeriod,
			"2026-03-01..2026-03-28", "2026-02-01..2026-02-28", "2026-03-29", "", "12:00"},
		{"month to date on the 1st", ny, time.Date(2026, 12, 1, 8, 0, 0, 0, ny), MonthToDate, PreviousPeriod,
			"", "", "2026-12-01", "2026-11-01", "08:00"},
	}
	c := simClient(t, time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := Build(t.Context(), c, Spec{Job: "partial", Location: tt.loc, Period: Period{Kind: tt.period}, Compare: tt.compare, At: tt.at, Reports: []livechat.Report{livechat.TotalChats, livechat.ChatsFirstResponseTime}})
			require.NoError(t, err)
			require.Empty(t, d.Errors)
			assert.Equal(t, tt.until, d.Until)
			e := ElapsedAt(tt.at, tt.loc)

			// What each side must hold, from the simulator's own buckets.
			chats := func(whole, cut string, prorate bool) float64 {
				var n float64
				if whole != "" {
					r := mustRange(t, whole)
					s, err := c.TotalChats(t.Context(), livechat.Query{From: r.From, To: r.To, GroupBy: livechat.ByDay, Timezone: tt.loc.String()})
					require.NoError(t, err)
					for _, b := range s.Buckets {
						n += float64(b.Value.Chats)
					}
				}
				if cut != "" {
					day := date(t, cut)
					s, err := c.TotalChats(t.Context(), livechat.Query{From: day, To: day, GroupBy: livechat.ByHour, Timezone: tt.loc.String()})
					require.NoError(t, err)
					for _, b := range s.Buckets {
						switch {
						case b.Hour < e.Hour:
							n += float64(b.Value.Chats)
						case b.Hour == e.Hour && e.Frac > 0 && prorate:
							n += float64(b.Value.Chats) * e.Frac
						case b.Hour == e.Hour && e.Frac > 0:
							n += float64(b.Value.Chats)
						}
					}
				}
				return n
			}
			v := d.Metrics["total_chats.chats"]
			require.NotNil(t, v.Current)
			require.NotNil(t, v.Previous)
			assert.InDelta(t, chats(tt.curWhole, tt.curCut, false), *v.Current, 1e-9, "current")
			assert.InDelta(t, chats(tt.prevWhole, tt.prevCut, true), *v.Previous, 1e-9, "previous")
			if tt.prevCut == "" {
				// A clipped compare period counts its days whole.
				prev := mustRange(t, tt.prevWhole)
				assert.Equal(t, prev, *d.Compare)
			}
		})
	}
}
