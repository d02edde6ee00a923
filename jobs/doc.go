// Package jobs turns config jobs into runs: one run builds a job's digest for
// a firing, evaluates its thresholds against the stored alert states and
// enqueues every message it must send, exactly once per (job, firing,
// target). The Scheduler fires runs with gocron in each job's time zone,
// catches up a firing missed while the service was down, and takes over runs
// whose replica died.
//
// jobs imports config, digest, templates, notify and store; it must not
// import server or main.
package jobs
