package alerting

import (
	"time"

	"livechat-digest/store"
)

// Action is what one (alert, target) gets from one evaluation.
type Action int

// Actions of Decide.
const (
	None     Action = iota // nothing to send
	Announce               // queue the firing
	Remind                 // queue a reminder of the announced firing
	Resolve                // queue the resolve of a queued or announced firing
	Hold                   // news is due but held (silence or active hours)
)

func (a Action) String() string {
	switch a {
	case Announce:
		return "announce"
	case Remind:
		return "remind"
	case Resolve:
		return "resolve"
	case Hold:
		return "hold"
	}
	return "none"
}

// Input is one (alert, target) at one evaluation.
type Input struct {
	// State is the alert's state after this evaluation.
	State store.AlertState
	// Resolved is set when this evaluation resolved the alert; ResolvedSince
	// is then the Since of the firing that ended.
	Resolved      bool
	ResolvedSince time.Time
	// Notice is the stored notice of (alert, target); Version 0 when none.
	Notice store.Notice
	// Held: a silence or active hours hold the alert's news now.
	Held bool
	Now  time.Time
	// RepeatEvery is the reminder interval; 0 sends none.
	RepeatEvery time.Duration
}

// Decision is what to send and the notice to save. When Save is false the
// stored notice stays as it is; Delete removes it. Notice.Delivery is left
// for the caller to set on Announce (it names the message it queues).
type Decision struct {
	Action Action
	Notice store.Notice
	Save   bool
	Delete bool
}

// Decide applies the message model (see the package doc) to one
// (alert, target).
func Decide(in Input) Decision {
	n := in.Notice
	stored := n.Version != 0
	if in.Resolved {
		if !stored || !n.Since.Equal(in.ResolvedSince) {
			return Decision{Notice: n}
		}
		switch n.Status {
		case store.NoticeQueued, store.NoticeAnnounced:
			n.Status, n.ResolvedAt = store.NoticeResolved, in.Now
			return Decision{Action: Resolve, Notice: n, Save: true}
		case store.NoticeHeld:
			return Decision{Notice: n, Delete: true}
		}
		return Decision{Notice: n}
	}
	if !in.State.Firing {
		return Decision{Notice: n}
	}
	if !stored || !n.Since.Equal(in.State.Since) || n.Status == store.NoticeResolved {
		// News of a firing this target has not been told about.
		fresh := store.Notice{Job: in.State.Job, Key: in.State.Key, Target: n.Target, Since: in.State.Since,
			Status: store.NoticeHeld, Version: n.Version}
		if in.Held {
			return Decision{Action: Hold, Notice: fresh, Save: true}
		}
		return announce(fresh, in.Now)
	}
	switch n.Status {
	case store.NoticeHeld:
		if in.Held {
			return Decision{Notice: n}
		}
		return announce(n, in.Now)
	case store.NoticeQueued, store.NoticeAnnounced:
		if in.RepeatEvery <= 0 || in.Now.Before(n.NotifiedAt.Add(time.Duration(n.Reminders+1)*in.RepeatEvery)) {
			return Decision{Notice: n}
		}
		if in.Held {
			return Decision{Action: Hold, Notice: n}
		}
		n.Reminders = int(in.Now.Sub(n.NotifiedAt) / in.RepeatEvery)
		return Decision{Action: Remind, Notice: n, Save: true}
	}
	return Decision{Notice: n}
}

func announce(n store.Notice, now time.Time) Decision {
	n.Status, n.NotifiedAt, n.Reminders, n.ResolvedAt = store.NoticeQueued, now, 0, time.Time{}
	return Decision{Action: Announce, Notice: n, Save: true}
}
