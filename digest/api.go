package digest

import (
	"math"
	"time"

	"livechat-digest/livechat"
)

// v36OnlyFields are the metric keys of reports both versions have whose
// field only v3.6 sends (contract's v3.6 table, "new"). Read-only.
var v36OnlyFields = map[string]bool{
	"total_chats.continuous": true,
	"greetings.canceled":     true,
}

// MetricOn reports whether the Reports API version api answers metric m:
// its report exists there, and its field too. A digest of api has only
// such keys, and a threshold on another is a config error.
func MetricOn(m Metric, api livechat.API) bool {
	if _, ok := livechat.MethodOf(api, m.Report); !ok {
		return false
	}
	return api == livechat.V36 || !v36OnlyFields[m.Key]
}

// Versioned is a Fetcher that says which Reports API version it reads
// (*livechat.Client does). Build asks it when the Spec names no version,
// and refuses a Spec that names another.
type Versioned interface {
	API() livechat.API
}

// clock is e as a wall-clock time of day, to the second: what a v3.6
// request for a cut day ends at (livechat.Query.Until).
func (e Elapsed) clock() time.Duration {
	return time.Duration(e.Hour)*time.Hour + time.Duration(math.Round(e.Frac*3600))*time.Second
}
