package templates

import (
	"fmt"
	"time"

	"github.com/go-analyze/charts"

	"livechat-digest/digest"
	"livechat-digest/livechat"
)

// dailyChats is the Daily series the chart draws.
const dailyChats = "total_chats.chats"

// Chart size; the HTML email shows it at this width.
const (
	chartWidth  = 600
	chartHeight = 300
)

// Chart draws daily chats of d as a 600×300 PNG: grouped bars, the compare
// period (grey) beside the period (blue), the value axis starting at 0 so
// that a quiet day does not look like none. Days without a value are gaps.
// It returns nil, nil when d has no daily chats.
func Chart(d *digest.Digest) ([]byte, error) {
	if d == nil || !hasChart(d) {
		return nil, nil
	}
	s := d.Daily[dailyChats]
	n := max(len(s.Days), len(s.Current), len(s.Previous))

	labels := make([]string, n)
	for i := range labels {
		day := d.Period.From.AddDays(i)
		if i < len(s.Days) {
			day = s.Days[i]
		}
		labels[i] = dayLabel(day, n)
	}
	series := func(xs []*float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = charts.GetNullValue()
			if i < len(xs) && xs[i] != nil && finite(*xs[i]) {
				out[i] = *xs[i]
			}
		}
		return out
	}

	current := "current: " + shortRange(d.Period)
	values := [][]float64{series(s.Current)}
	names := []string{current}
	colors := []charts.Color{charts.ColorRGB(0x2f, 0x6f, 0xd6)}
	if d.Compare != nil && len(s.Previous) > 0 {
		values = [][]float64{series(s.Previous), series(s.Current)}
		names = []string{"previous: " + shortRange(*d.Compare), current}
		colors = []charts.Color{charts.ColorRGB(0xb4, 0xbc, 0xc6), colors[0]}
	}

	xAxis := charts.XAxisOption{Labels: labels}
	switch {
	case n <= 14:
		xAxis.LabelCount = n // the library would skip every other weekday otherwise
	default:
		xAxis.LabelCount = (n-1)/3 + 1 // every third day; its own choice collides at the end
	}
	p, err := charts.BarRender(values,
		charts.PNGOutputOptionFunc(),
		charts.DimensionsOptionFunc(chartWidth, chartHeight),
		charts.ThemeOptionFunc(charts.GetTheme(charts.ThemeLight).WithSeriesColors(colors)),
		charts.TitleTextOptionFunc("Chats per day"),
		charts.LegendOptionFunc(charts.LegendOption{SeriesNames: names, Offset: charts.OffsetRight}),
		charts.XAxisOptionFunc(xAxis),
		charts.YAxisOptionFunc(charts.YAxisOption{Min: charts.Ptr(0.0), ValueFormatter: formatCount}),
	)
	if err != nil {
		return nil, fmt.Errorf("templates: chart: %w", err)
	}
	b, err := p.Bytes()
	if err != nil {
		return nil, fmt.Errorf("templates: chart png: %w", err)
	}
	return b, nil
}

// dayLabel is "Mon 16" for a week; a month of those would not fit under
// 600 pixels, so longer ranges show the day of the month only.
func dayLabel(d livechat.Date, days int) string {
	if days > 14 {
		return fmt.Sprintf("%d", d.Day)
	}
	return d.Weekday().String()[:3] + fmt.Sprintf(" %d", d.Day)
}

// shortRange is "Nov 16–22", "Oct 27 – Nov 2" or "Dec 29, 2025 – Jan 4, 2026".
func shortRange(r digest.DateRange) string {
	mon := func(m time.Month) string { return m.String()[:3] }
	f, t := r.From, r.To
	switch {
	case f == t:
		return fmt.Sprintf("%s %d", mon(f.Month), f.Day)
	case f.Year != t.Year:
		return fmt.Sprintf("%s %d, %d – %s %d, %d", mon(f.Month), f.Day, f.Year, mon(t.Month), t.Day, t.Year)
	case f.Month != t.Month:
		return fmt.Sprintf("%s %d – %s %d", mon(f.Month), f.Day, mon(t.Month), t.Day)
	}
	return fmt.Sprintf("%s %d–%d", mon(f.Month), f.Day, t.Day)
}
