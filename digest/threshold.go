package digest

import (
	"fmt"
	"math"
	"strconv"
)

// Op is how a threshold compares, named as in the config.
type Op string

// The threshold operators of the config. The change_pct ones compare the
// percentage change against the compare period.
const (
	Above          Op = "above"
	Below          Op = "below"
	ChangePctAbove Op = "change_pct_above"
	ChangePctBelow Op = "change_pct_below"
	// Anomaly breaches when the value's robust z against the same period
	// of the Weeks weeks before is beyond Value, either way (anomaly.go).
	Anomaly Op = "anomaly"
)

// Threshold is a rule on one metric: it is breached when the metric's
// current value (or its change_pct) is strictly above or below Value.
type Threshold struct {
	Metric string
	Op     Op
	Value  float64 // for Anomaly, the z asked
	Weeks  int     // for Anomaly, how many earlier weeks make the baseline
}

// Rule is the threshold as people read it: "above 60", "change_pct_below
// -20", "anomaly".
func (t Threshold) Rule() string {
	if t.Op == Anomaly {
		return string(Anomaly)
	}
	return string(t.Op) + " " + strconv.FormatFloat(t.Value, 'f', -1, 64)
}

// Key identifies the threshold stably across runs and restarts (alert state
// is stored under it): "chats_first_response_time.seconds above 60",
// "total_chats.chats anomaly weeks=8 z=3".
func (t Threshold) Key() string {
	if t.Op == Anomaly {
		return fmt.Sprintf("%s anomaly weeks=%d z=%s", t.Metric, t.Weeks, strconv.FormatFloat(t.Value, 'f', -1, 64))
	}
	return t.Metric + " " + t.Rule()
}

// Validate reports an unknown metric or operator.
func (t Threshold) Validate() error {
	if _, ok := LookupMetric(t.Metric); !ok {
		return fmt.Errorf("digest: threshold %q: unknown metric", t.Key())
	}
	switch t.Op {
	case Above, Below, ChangePctAbove, ChangePctBelow:
		return nil
	case Anomaly:
		if t.Weeks < minHistory || t.Weeks > MaxAnomalyWeeks || !(t.Value > 0) {
			return fmt.Errorf("digest: threshold %q: an anomaly needs %d to %d weeks and a z above 0", t.Key(), minHistory, MaxAnomalyWeeks)
		}
		return nil
	}
	return fmt.Errorf("digest: threshold %q: unknown operator %q", t.Key(), t.Op)
}

// EvaluateOne says whether d breaches t, and the value compared: the
// current value, or the change_pct for the change operators. A value that
// does not exist (null, or a metric whose report did not answer) never
// breaches and is returned as nil.
func EvaluateOne(d *Digest, t Threshold) (breached bool, value *float64) {
	if d == nil {
		return false, nil
	}
	v, ok := d.Metrics[t.Metric]
	if !ok {
		return false, nil
	}
	if t.Op == Anomaly {
		a, ok := d.anomalies[t.Key()]
		if !ok {
			return false, nil
		}
		return math.Abs(a.Z) > t.Value, ptr(a.Value)
	}
	var x *float64
	switch t.Op {
	case Above, Below:
		x = v.Current
	case ChangePctAbove, ChangePctBelow:
		x = v.ChangePct
	default:
		return false, nil
	}
	if x == nil {
		return false, nil
	}
	switch t.Op {
	case Above, ChangePctAbove:
		breached = *x > t.Value
	default:
		breached = *x < t.Value
	}
	return breached, ptr(*x)
}

// Evaluate returns the thresholds d breaches, in the order of ths; never nil,
// so an empty list is JSON [].
func Evaluate(d *Digest, ths []Threshold) []Breach {
	out := []Breach{}
	for _, t := range ths {
		if ok, v := EvaluateOne(d, t); ok {
			b := Breach{Metric: t.Metric, Rule: t.Rule(), Value: *v, Threshold: t.Value}
			if a, ok := d.anomalies[t.Key()]; ok && t.Op == Anomaly {
				b.Baseline, b.Z, b.Usual = ptr(a.Baseline), ptr(a.Z), a.Usual
			}
			out = append(out, b)
		}
	}
	return out
}
