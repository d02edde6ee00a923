package alerting

import (
	"slices"
	"strings"
	"time"

	"livechat-digest/store"
)

// Alert states as listed.
const (
	StateFiring  = "firing"
	StatePending = "pending" // breaching, waiting for `for` consecutive runs
	StateOK      = "ok"
)

// Status is one alert as `livechat-digest alerts` and `/livechat alerts`
// list it.
type Status struct {
	Job     string
	Key     string
	Metric  string
	State   string
	Since   time.Time // when it started firing; zero unless firing
	Value   *float64  // the last evaluated value
	Updated time.Time // when it was last evaluated
	// Notice sums up its news over the targets: "held", "queued",
	// "announced", "resolved", or "" when there is none (ok, never fired).
	Notice string
	// Silence holds it now, when one does.
	Silence *store.Silence
}

// noticeRank orders notice statuses by how much they need attention: one
// held target makes the alert held.
var noticeRank = map[string]int{store.NoticeHeld: 4, store.NoticeQueued: 3, store.NoticeAnnounced: 2, store.NoticeResolved: 1}

// List joins stored states, notices and silences into one Status per
// alert, by job and key. Notices of an older firing are not counted.
func List(states []store.AlertState, notices []store.Notice, silences []store.Silence, now time.Time) []Status {
	out := make([]Status, 0, len(states))
	for _, a := range states {
		metric, _, _ := strings.Cut(a.Key, " ")
		s := Status{Job: a.Job, Key: a.Key, Metric: metric, State: StateOK, Value: a.Value, Updated: a.Updated}
		switch {
		case a.Firing:
			s.State, s.Since = StateFiring, a.Since
		case a.Streak > 0:
			s.State = StatePending
		}
		for _, n := range notices {
			if n.Job != a.Job || n.Key != a.Key || a.Firing && !n.Since.Equal(a.Since) || !a.Firing && n.Status != store.NoticeResolved {
				continue
			}
			if noticeRank[n.Status] > noticeRank[s.Notice] {
				s.Notice = n.Status
			}
		}
		if si, ok := Silenced(silences, a.Job, metric, now); ok {
			s.Silence = &si
		}
		out = append(out, s)
	}
	slices.SortStableFunc(out, func(a, b Status) int {
		return strings.Compare(a.Job+"\x00"+a.Key, b.Job+"\x00"+b.Key)
	})
	return out
}
