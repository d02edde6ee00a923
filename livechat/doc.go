// Package livechat is the client for the LiveChat Reports API v2: one typed
// method per report, query building, decoding of every bucket shape the API
// uses, retries with backoff, a client-wide rate limit and concurrency cap,
// coalescing of identical in-flight requests and an optional short-lived
// response cache.
//
// Every request goes through one path: the URL is built from the report's
// path and the Query arguments the endpoint accepts (ReportInfo.Params);
// identical requests already in flight are shared (golang.org/x/sync
// singleflight, keyed by the full URL) and, with WithCache, answers fetched
// within the cache's ttl are reused under the same key; each attempt waits for the
// concurrency cap and the rate limiter, is bounded by the per-request
// timeout and carries basic auth and X-API-Version: 2. 5xx answers,
// timeouts, transport errors and 429s are retried with exponential backoff
// and full jitter (a 429's Retry-After is honoured and pauses the whole
// client); other 4xx answers are not.
//
// Failures are typed and name the endpoint: *APIError (status, tries,
// Retry-After, body excerpt), *DecodeError (offset and excerpt of a body
// that does not fit the report's shape) and ErrUnauthorized for 401/403
// (errors.Is). A cancelled context yields the context's error. Neither
// errors nor logs ever contain the API key.
//
// Decoded answers are in time order. Hour buckets of single-day availability
// and chatting_time answers, sent in minutes, are converted to hours.
//
// It is a leaf package: it imports only the standard library and
// golang.org/x/{time,sync}. It must not import any other project package;
// the simulator in livechat/sim is used only by its tests.
package livechat
