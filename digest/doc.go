// Package digest turns LiveChat report answers into a Digest: it resolves
// periods in a time zone (DST-correct calendar days), fetches every report
// through a Fetcher it defines, aggregates buckets exactly as the metric
// catalogue says (sums, count-weighted means, ratios of sums, maxima),
// compares with another period and evaluates thresholds. It also formats
// values for the renderers.
//
// Comparisons are like with like: a partial period (today, month_to_date)
// counts its last day, and the compare period's counterpart of it, up to
// the same wall-clock time (aggregate.go's window), and month_to_date meets
// the same days of the previous month (CompareRange). On top of the numbers
// it says what they mean: every compared metric gets a significance verdict
// (significance.go: the tests, their assumptions and constants side by side),
// the most significant real changes become the headline (headline.go), a
// breakdown rebuilds the digest per group and agent to say where a change
// came from (breakdown.go), and anomaly thresholds score a value against the
// same period of earlier weeks (anomaly.go).
//
// Both Reports API versions give the same metric keys the same meaning
// (MetricOn says which keys a version has): the request plan follows the
// version (v3.6 asks for agents/performance and unique_visitors once per
// period, and for a partial day up to the elapsed time), and a report that
// could not take one of the digest's filters marks its values
// NotFilteredBy it.
//
// It does no I/O of its own and never reads the clock: the instant a digest
// is built for comes in the Spec. It imports only livechat (for report names
// and answer types), the standard library and golang.org/x/sync; it must not
// import any other project package.
package digest
