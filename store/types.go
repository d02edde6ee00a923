package store

import (
	"errors"
	"time"
)

// ErrNotFound is returned when a looked-up record does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned by Record when an alert state changed after it
// was read; nothing was saved.
var ErrConflict = errors.New("store: alert state changed since it was read")

// Delivery states.
const (
	DeliveryQueued  = "queued"  // waiting for its first or next attempt
	DeliverySending = "sending" // claimed by a worker until ClaimedUntil
	DeliverySent    = "sent"    // done; never sent again
	DeliveryFailed  = "failed"  // given up: permanent error, or its retry window ran out; see RequeueFailed
	// DeliveryDropped: not sent because it was no longer wanted when its
	// turn came (every alert it carried had been silenced since it was
	// queued). Never sent, never requeued.
	DeliveryDropped = "dropped"
)

// Delivery is one message to one target, rendered before it was queued.
type Delivery struct {
	ID int64
	// Key is unique: job, firing instant (UTC) and target. Enqueueing the
	// same key twice stores it once, which is what makes a re-run of the same
	// firing send nothing new.
	Key      string
	Job      string
	FiringAt time.Time
	Kind     string // "digest" or "alert"
	Channel  string // "email", "slack" or "outbox"
	Target   string // a recipient list or channel, for people reading `jobs`
	Payload  []byte // the rendered message, encoded by notify
	Status   string
	Attempts int
	// LastError never holds a secret: senders sanitize their errors.
	LastError     string
	NextAttemptAt time.Time
	ClaimedBy     string
	ClaimedUntil  time.Time
	CreatedAt     time.Time
	// RetryFrom starts the delivery's retry window: CreatedAt, or the
	// instant it was last re-queued after it failed (RequeueFailed).
	RetryFrom time.Time
	SentAt    time.Time // zero until sent
}

// Run states.
const (
	RunRunning = "running" // claimed by Owner until LeaseUntil
	RunOK      = "ok"
	RunPartial = "partial" // sent, but some reports failed upstream
	RunFailed  = "failed"  // nothing was sent; Error says why
	// RunSkipped is a run that built its digest but did not send it, by the
	// job's send rule (send: changes or breaches); Error says why. Its
	// alerts were stepped and sent as always.
	RunSkipped = "skipped"
)

// Run is one firing of a job: the unit that exactly one replica executes.
type Run struct {
	ID         int64
	Job        string
	FiringAt   time.Time // the scheduled instant, UTC, rounded to the minute
	Owner      string
	LeaseUntil time.Time
	Status     string
	Error      string
	CaughtUp   bool // run at start-up for a firing missed while down
	Attempt    int  // 1 for the first owner, more after takeovers
	StartedAt  time.Time
	FinishedAt time.Time
	Digest     []byte // the digest JSON, once built
}

// AlertState is what the store remembers of one threshold of one job.
type AlertState struct {
	Job string
	// Key names the threshold and filter, e.g.
	// "chats_first_response_time.seconds above 60|group=2".
	Key     string
	Firing  bool
	Since   time.Time // when it started firing (zero when not firing)
	Streak  int       // consecutive breaching runs, for `for: N`
	Value   *float64  // the last evaluated value
	Updated time.Time
	// Previous is the value evaluated at the run before Updated's, for
	// the "was … at the previous run" of a firing message.
	Previous *float64
	// Anomaly is an anomaly threshold's score at the run that evaluated
	// Value, so that a message sent without a run (a firing released when
	// its silence ends, a post rewritten for another alert) still says
	// "3.4× the usual Monday"; nil for other thresholds.
	Anomaly *AnomalyNote
}

// AnomalyNote is what an alert message needs of an anomaly score besides
// the value: the usual value, the robust z and what "usual" is ("Monday").
type AnomalyNote struct {
	Baseline, Z float64
	Usual       string
}

// ErrLeaseLost is returned when a worker updates a run or a delivery it no
// longer holds: its lease ran out and another owner took it, or it was
// already finished.
var ErrLeaseLost = errors.New("store: lease lost")
