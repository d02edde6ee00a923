// Package server owns the HTTP surface of `livechat-digest serve`:
//
//	POST /slack/commands  Slack's slash command (/livechat …)
//	POST /slack/interactions  the alert messages' silence buttons, behind the
//	                      same signature and replay gate (authentic)
//	GET  /healthz         "ok", or 503 with a short generic reason
//	GET  /metrics         Prometheus text format
//
// and the service's Prometheus collectors (Metrics), which main hands to the
// LiveChat client, the jobs runner and the notify worker as plain observer
// funcs.
//
// A slash command is handled in this order, and each step only runs when the
// one before it passed:
//
//  1. The body is read once, at most Options.MaxBody bytes (413 beyond),
//     within Options.BodyTimeout (5 s) of the handler's start: a client that
//     trickles its body is cut off (400).
//  2. Slack's v0 signature is checked over the raw body with slack-go's
//     SecretsVerifier (HMAC-SHA256, hmac.Equal, timestamp within ±5 minutes
//     of the real clock). Missing headers, a bad signature or a stale stamp
//     get 401 and nothing else happens: no parsing, no Answerer call. They
//     are counted (result "unauthorized") and logged at debug only, since
//     anyone can send them.
//  3. A signature seen before within its window is a replay: it gets an
//     empty 200 and no work (result "replayed"). The set of signatures is
//     in memory, per process and bounded (Options.MaxReplays), so the ack
//     never waits on the store.
//  4. The body is restored and parsed with slack.SlashCommandParse; the text
//     goes through query.Parse. "help", empty or unreadable text is answered
//     at once in the HTTP response with an ephemeral help text (after the
//     parse error, if any) — never a 5xx.
//  5. The response_url must lie under Options.ResponseURLPrefix (default
//     https://hooks.slack.com/): same scheme and host, path under the
//     prefix's, no user info. Anything else is refused with an ephemeral
//     error, so a signed request cannot make the service POST elsewhere.
//  6. A valid report, digest or alerts command is queued for an answer and
//     acknowledged at once with an ephemeral "Working on it: …". Nothing on
//     the way to the ack writes to the store or waits for answer work: the
//     answer is computed afterwards by one of Options.AnswerWorkers workers
//     the Server owns and posted exactly once to response_url
//     (slack.PostWebhookCustomHTTPContext with Options.HTTPClient). When
//     Options.AnswerQueue answers already wait, the command is refused with
//     an ephemeral "try again" (result "busy") rather than queued without
//     bound. Results are posted in_channel, since the user asked for them
//     in that channel; failures are posted ephemeral, to the user only, with
//     the error text.
//
// An answer's context is not the request's (that ends with the ack) but the
// server's lifetime: it is cancelled when Wait's context ends during
// shutdown, and it is bounded by Options.AnswerTimeout. Wait lets the
// workers finish what is queued.
//
// serve runs the routes on HTTPServer (read, write and idle timeouts) behind
// LimitListener (at most MaxConns connections at once), so slow clients
// cannot hold connections for ever.
//
// server imports query, templates, digest (the Digest type) and slack-go.
// It must not import jobs, store, config or main: what it needs from them is
// the Answerer interface and the Health func, which main provides.
package server
