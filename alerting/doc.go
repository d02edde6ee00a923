// Package alerting owns the rules that decide which alert news goes out,
// when, and which is held back: silences, active hours (see package hours),
// reminders and the message model below. Its functions are pure: they read
// stored state, config and an instant passed in, so tables pin every path.
//
// # The message model
//
// An alert's firing is announced to a target (a Slack channel, an email
// recipient) once a message carrying it was sent there. Per (alert, target)
// the store keeps a store.Notice: which firing it is about (the alert's
// Since), whether it is held, queued, announced or resolved, the delivery
// that carries the firing (several alerts share one grouped message, so one
// delivery and, in Slack, one channel and ts), when it was queued and how
// many reminders followed. The rules:
//
//   - A resolved message goes out only for a firing that was queued or
//     announced, and nothing suppresses it: silences and active hours hold
//     back news, not the closing of what people already saw. At send time it
//     is dropped only if the firing it closes was in the end never sent.
//   - A firing or a reminder is held by a matching silence or outside the
//     job's active hours. Silences are applied when messages are queued
//     (Decide) and checked again when they are sent: a firing queued before
//     a silence was added is dropped then, counted as silenced, and its
//     notice goes back to held.
//   - When the silence ends or the window opens and the alert still fires
//     with a held notice, that firing is announced once then. An announced
//     one gets nothing new (its reminders resume on the next run that is
//     due); one that resolved meanwhile while held gets nothing at all (its
//     held notice is deleted at the resolve).
//   - Held firings are released by the scheduler at the instant the last
//     hold ends (Unmuted), not at the job's next run. Every replica may try;
//     notices are saved compare-and-set on their version together with the
//     delivery they queue (one transaction), so exactly one release wins and
//     the others, seeing a changed notice, queue nothing.
//   - A firing whose message failed for good was not announced: jobs reads
//     its queued notice as held, so it is announced again once not held.
//   - Reminders: with repeat_every R, reminder k of an announced firing is
//     due at NotifiedAt + k·R and goes out on the first run at or after
//     that, if not held; missed intervals are not made up.
//
// alerting imports store for its record types only; it reads no clock and
// does no I/O.
package alerting
