// Package notify delivers messages that were rendered before they were
// queued: email over SMTP (go-mail), email into an outbox folder as .eml
// files, and Slack posts (slack-go).
//
// Delivery is a pipeline of named steps, after Alertmanager's notify package:
//
//	claim (Queue.Claim, with a lease)
//	  → dedup (never send a delivery this worker already sent, even when
//	    recording it as sent failed)
//	  → send once (a Sender)
//	  → mark sent / retry / failed (the one retry stage, in Worker)
//
// A Sender only knows how to send once. It reports failure as an error and,
// separately, whether that error can be retried (see Error, Permanent,
// IsRetryable). Worker is the only place that retries: exponential backoff
// with jitter, honouring a peer's Retry-After hint, until RetryFor has passed
// since the delivery was created. Delivery is at least once: a process that
// dies between a successful send and recording it will send again after the
// lease expires; email carries a deterministic Message-ID (MessageID) so the
// receiving side can tell the copies apart, and the outbox rewrites the same
// file.
//
// Errors and logs never carry the SMTP password or the Slack token.
//
// notify owns the Message payload format (Encode, Decode) and the senders.
// It imports livechat-digest/store for record types only, behind its own
// Queue interface; it must not import jobs, server, templates, config or
// main, and never reads the clock directly (a clockwork.Clock is injected).
package notify
