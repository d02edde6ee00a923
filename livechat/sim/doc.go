// Package sim is the built-in LiveChat Reports API simulator: an
// http.Handler serving all 20 v2 report endpoints (GET /reports/<endpoint>)
// and the v3.6 methods the client reads (POST /v3.6/reports/<method>) from
// the same deterministic data for a seed, with basic auth and X-API-Version
// checks (v2), personal access token or OAuth bearer auth (v3.6), and
// injectable latency and faults.
//
// The data is made of atomic cells, one per UTC hour and (agent, group, tag),
// each a pure function of a hash of (seed, hour, cell) with no RNG state:
// six agents in groups 0, 1 and 2 (one or two each), tags sales, billing,
// vip and bug plus untagged chats, busy 9-17 on weekdays at UTC+1 and quiet
// at night and at weekends. Any bucket is answered by summing the cells
// whose hour starts in it, read in the requested time zone, so hours add up
// to their day and days to their month, groups partition the whole, and
// agent and tag[] filters select subsets (tag[] given several times is a
// union). Times are kept as whole seconds or minutes with their counts and
// averages are sum/count, unrounded, so count-weighting the buckets gives the
// exact mean of the period; an average over nothing is null.
//
// Arguments follow the reference: a report ignores arguments it does not
// take. date_to defaults to today in the zone (Options.Now) and date_from to
// 30 days before date_to; ranges may span at most 731 days; group_by is
// hour, day or month (hour only for a single day, the default then). An
// unknown zone or a malformed argument is a 400 with {"error": "..."}.
// Rankings count UTC days; agents_occupancy answers UTC hours of every date
// with the weekday in date_from..date_to, or of the last four such dates up
// to today. availability and chatting_time answer a single day in minutes
// per hour ({"minutes": m}) and longer ranges in unrounded {"hours": h}.
//
// v3.6 follows the reference (reference/livechat-reports-api-v3.6.md):
// filters.from/to (RFC 3339) are required inside filters, and without a
// filters object the range is the last seven days; the days of an answer
// are those of the timezone field, else of filters.from's offset; only the
// day distribution is simulated; a filter a method does not take, or one
// the simulator does not model, is a 400 validation error. Answers have
// every day of the range, an empty one as {}, and leave zero fields out;
// the envelope's total is deliberately not the sum of the records where
// the reference says it is not (engagement, response_time,
// first_response_time). chats/ranking and agents/performance are keyed by
// agent (ranking in name order, not by score), customers/unique_visitors is
// a summary of distinct visitors, who come back, so ranges do not add up.
// Errors are {"error": {"type", "message"}}; a personal access token sent
// as Bearer is refused as authentication. The same Fault list applies to
// both versions (a v3.6 method is named "v3.6/<method>"), and
// Options.Deprecation and Options.Legacy add the lifecycle headers to
// every answer. The v3.6-only quantities (continuous and unreplied chats,
// chat durations, dismissed greetings, greeting IDs, visitors) are drawn
// from a hash stream of their own, so v2's numbers are the same as before
// they existed.
//
// It writes JSON from its own shapes, never from the livechat package's
// types, so a decoding bug cannot hide behind a matching encoding bug. It
// imports only the standard library and must not import any project package.
package sim
