// Package livechat is the client for the LiveChat Reports API v2: one typed
// method per report, query building, decoding of every bucket shape the API
// uses, retries with backoff, a client-wide rate limit and concurrency cap,
// and coalescing of identical in-flight requests.
//
// It is a leaf package: it imports only the standard library and
// golang.org/x/{time,sync}. It must not import any other project package.
package livechat
