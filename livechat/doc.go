// Package livechat is the client for the LiveChat Reports API, v2 and v3.6
// (WithAPI): one typed method per report, request building, decoding of
// every answer shape of both versions into the same typed values, retries
// with backoff, a client-wide rate limit and concurrency cap (or a rate
// shared with other processes), coalescing of identical in-flight requests,
// and the answers shared by the runs of one firing (Share), also across
// replicas (Cluster).
//
// Every request of either version goes through one path. A v2 request is a
// GET whose URL carries the Query arguments the endpoint accepts
// (ReportInfo.Params), with basic auth (login, API key) and
// X-API-Version: 2. A v3.6 request is a POST to v3.6/reports/<method> with
// a JSON body (distribution, timezone, filters with RFC 3339 from/to in the
// zone, each day with its own offset), authenticated as LiveChat documents:
// a personal access token as basic auth with the account ID, or an OAuth
// token as Bearer. MethodOf says which report exists on which version,
// which filters it takes and whether it answers per day. Identical requests
// already in flight are shared (golang.org/x/sync singleflight); a Share
// (Client.Firing) keeps every answer and every failure after retries for
// the runs of one firing until it is closed, bounded in bytes over all
// Shares (WithShareLimit) and, with WithCluster, fetched by one replica for
// all; all are keyed by shareKey: HTTP method, URL, body and a hash of the
// credential. Nothing is kept by time. Each attempt waits for the
// concurrency cap and the rate limiter (WithSharedRateLimit: the cluster's,
// falling back on the client's own) and is
// bounded by the per-request timeout. 5xx answers, timeouts, transport
// errors, 429s and the v3.6 error types that say "try later" are retried
// with exponential backoff and full jitter (a Retry-After is honoured and
// pauses the whole client); other 4xx answers are not. A v3.6
// misdirected_request is asked again once in the region it names. Legacy
// and Deprecation headers (the version is going away) are logged once and
// handed to WithLifecycle.
//
// Failures are typed and name the endpoint: *APIError (status, tries,
// Retry-After, body excerpt, and the v3.6 error type and message),
// *DecodeError (offset and excerpt of a body that does not fit the report's
// shape), ErrUnauthorized for 401/403 and the v3.6 types authentication and
// authorization, and ErrNotOnAPI for a report the version lacks
// (errors.Is). A cancelled context yields the context's error. Neither
// errors nor logs ever contain the API key or token.
//
// The v3.6 decoders follow the reference's traps: the envelope's total is
// never read, a day with no data is {} and a zero field is left out,
// rankings and agents/performance are keyed by agent, and
// customers/unique_visitors and agents/performance answer one value for
// the whole range (Granularity ByPeriod).
//
// Decoded answers are in time order. Hour buckets of single-day availability
// and chatting_time answers, sent in minutes, are converted to hours.
//
// It is a leaf package: it imports only the standard library and
// golang.org/x/{time,sync}. It must not import any other project package;
// the simulator in livechat/sim is used only by its tests.
package livechat
