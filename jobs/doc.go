// Package jobs turns config jobs into runs: one run builds a job's digest for
// a firing, evaluates its thresholds against the stored alert states and
// enqueues every message it must send, exactly once per (job, firing,
// target). The Scheduler fires runs with gocron in each job's time zone,
// catches up a firing missed while the service was down, and takes over runs
// whose replica died. What each alert target is told, and when (grouping,
// silences, active hours, reminders, Slack updates), follows the message
// model of package alerting; the Scheduler releases held firings the
// instant their hold ends (ReleaseHeld), and the Gate checks alert
// messages again just before they are sent: a line is sent only with the
// delivery its notice names, never again once dropped from a delivery, and
// never about a firing its post did not carry.
//
// The runs of one firing share their LiveChat answers (Share, firings.go):
// the firing is held from the moment gocron asks the Locker for it until
// its last run in this process is done, counted per holder, not by a time
// to live; on PostgreSQL a hold in the store tells the other replicas
// (FiringHolds). At most MaxRuns runs work at once and GOMAXPROCS of them
// render and queue at once; one run of a job at a time is kept by the
// Locker (not gocron's singleton mode, which costs a goroutine and a queue
// per job). A fired job that finds no free run slot waits as a value in
// the slots' queue (runSlots), not as a goroutine parked in Lock, and is
// claimed only when a slot frees, still as the firing it was scheduled
// for (docs/performance.md).
//
// jobs imports config, digest, templates, notify, store and alerting (the
// pure alert rules); it must not import server or main.
package jobs
