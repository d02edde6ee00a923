// Package notify delivers messages that were rendered before they were
// queued: email over SMTP (go-mail), email into an outbox folder as .eml
// files, and Slack posts (slack-go).
//
// Delivery is a pipeline of named steps, after Alertmanager's notify package:
//
//	claim (Queue.Claim, with a lease)
//	  → dedup (never send a delivery this worker already sent, even when
//	    recording it as sent failed)
//	  → lease check (hand the delivery back unsent when its claim would not
//	    outlast the send's timeout plus recording the outcome)
//	  → gate (alert messages only, WorkerOptions.Gate: drop what a silence
//	    added since holds, fill in the ts a Slack update needs)
//	  → unsubscribe check (digest emails only, WorkerOptions.Unsubscribes:
//	    leave out recipients who unsubscribed since it was queued; drop a
//	    delivery left with none)
//	  → send once (a Sender; a ReceiptSender also says where a post landed)
//	  → mark sent / retry / failed (the one retry stage, in Worker)
//
// A claim takes a whole batch, but the batch goes out over time, so a
// delivery near its end may come up when the claim is almost over. A worker
// never starts a send its claim might not cover: another worker may claim
// the delivery the moment the lease runs out, and both would send it.
// Instead it hands the delivery back (due at once, the attempt not
// counted), together with the rest of that target's deliveries so their
// order holds, and whoever claims it next sends it under a fresh lease.
// SendTimeout is therefore kept to at most half the lease.
//
// Within a batch, deliveries to one destination (the message's channel and
// Message.Target, not the row's labels) go one after another in delivery
// ID order, which is enqueue order, whatever order the claim listed them in.
//
// Shutdown (the ctx given to Worker.Run, RunOnce or Drain ending) means
// "claim no new work", not "abort". A send under way may already have
// reached the peer (a Slack post, an SMTP DATA); cutting it off and handing
// it back would send it twice. So each send runs to its end, bounded only by
// SendTimeout, and is recorded as sent, retry or failed as usual; the
// deliveries of that round not yet started are handed back unsent (attempt
// not counted, due at once), and Run returns after the round.
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
// A Slack file (Message.SlackFile, the digest's chart) is uploaded with
// slack-go's files v2 flow: files.getUploadURLExternal, a POST of the bytes
// to the returned URL, files.completeUploadExternal. slack-go streams the
// upload body and never retries it, and a failure at any step fails the
// whole Send, so the Worker's retry re-does the whole upload (a fresh URL,
// the bytes again, a new completion). Like every send this is at least
// once: a completion that reached Slack but whose answer was lost shares
// the file twice. The upload API takes channel IDs only; a configured
// "#name" is resolved with conversations.list (the bot needs channels:read
// and groups:read for that, or the config gives the ID) and cached in the
// sender.
//
// Errors and logs never carry the SMTP password or the Slack token.
//
// `livechat-digest check` tests the peers without sending: SMTP.Probe opens
// the session Send would (connect, STARTTLS, AUTH) and quits, naming the
// step that failed (ProbeError); Slack.ProbeAuth calls auth.test and
// Slack.ProbeChannel conversations.info, a missing channels:read scope being
// "could not be verified", not a failure.
//
// notify owns the Message payload format (Encode, Decode) and the senders.
// It imports livechat-digest/store for record types only, behind its own
// Queue interface; it must not import jobs, server, templates, config or
// main, and never reads the clock directly (a clockwork.Clock is injected).
package notify
