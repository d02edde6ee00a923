// Package sim is the built-in LiveChat Reports API v2 simulator: an
// http.Handler serving all 20 report endpoints from deterministic data for a
// seed, with basic auth and X-API-Version checks and injectable latency and
// faults. It writes JSON from its own shapes, never from the livechat
// package's types, so a decoding bug cannot hide behind a matching encoding
// bug. It imports only the standard library.
package sim
