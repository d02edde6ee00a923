// Package digest turns LiveChat report answers into a Digest: it resolves
// periods in a time zone (DST-correct calendar days), fetches every report
// through a Fetcher it defines, aggregates buckets exactly as the metric
// catalogue says (sums, count-weighted means, ratios of sums, maxima),
// compares with another period and evaluates thresholds. It also formats
// values for the renderers.
//
// It does no I/O of its own and never reads the clock: the instant a digest
// is built for comes in the Spec. It imports only livechat (for report names
// and answer types), the standard library and golang.org/x/sync; it must not
// import any other project package.
package digest
