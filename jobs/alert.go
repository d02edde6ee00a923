package jobs

import (
	"time"

	"livechat-digest/store"
)

// Transition is what one evaluation of a threshold changes.
type Transition int

// Transitions of the alert state machine.
const (
	Quiet   Transition = iota // nothing to post
	Fire                      // OK → breaching (for `for` consecutive runs): post "firing" once
	Resolve                   // breaching → OK: post "resolved" once
)

func (t Transition) String() string {
	switch t {
	case Fire:
		return "firing"
	case Resolve:
		return "resolved"
	}
	return "quiet"
}

// Step is the alert state machine: from the stored state of one threshold,
// whether it breaches now and the value, it returns the state to store and
// what to post. It is pure so that tables can pin every path; at is the
// firing instant, which becomes Since when the alert fires. forRuns is the
// number of consecutive breaching runs needed to fire (1 = at once).
func Step(prev store.AlertState, breached bool, value *float64, at time.Time, forRuns int) (store.AlertState, Transition) {
	if forRuns < 1 {
		forRuns = 1
	}
	next := prev
	next.Value = value
	next.Previous = prev.Value
	next.Updated = at
	if breached {
		next.Streak = prev.Streak + 1
		if !prev.Firing && next.Streak >= forRuns {
			next.Firing = true
			next.Since = at
			return next, Fire
		}
		return next, Quiet
	}
	next.Streak = 0
	next.Since = time.Time{}
	if prev.Firing {
		next.Firing = false
		return next, Resolve
	}
	return next, Quiet
}
