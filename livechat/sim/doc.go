// Package sim is the built-in LiveChat Reports API v2 simulator: an
// http.Handler serving all 20 report endpoints from deterministic data for a
// seed, with basic auth and X-API-Version checks and injectable latency and
// faults.
//
// The data is made of atomic cells, one per UTC hour and (agent, group, tag),
// each a pure function of a hash of (seed, hour, cell) with no RNG state. Any
// bucket is answered by summing the cells whose hour starts in it, in the
// requested time zone, so hours add up to their day, days to their month,
// and filtered answers are subsets of the whole, whatever the query.
//
// It writes JSON from its own shapes, never from the livechat package's
// types, so a decoding bug cannot hide behind a matching encoding bug. It
// imports only the standard library and must not import any project package.
package sim
