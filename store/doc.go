// Package store owns the durable state of livechat-digest: job runs (one
// row per scheduled firing, held by one owner under a lease), the delivery
// queue (rendered messages, deduplicated by key, claimed under a lease,
// retried, marked sent), alert states (firing or not, per threshold) and
// unsubscribes (a recipient who left one job's digest, unsubscribes.go).
//
// SQLite (modernc.org/sqlite, pure Go, WAL) is the default; PostgreSQL (pgx
// through database/sql) lets several replicas share one state. The unique
// (job, firing_at) run row and the unique delivery key, not any election,
// are what guarantee that a firing runs once and each message is sent at
// most once per target, across restarts and replicas.
//
// For replicas on PostgreSQL it also keeps what makes them one client of
// the LiveChat account: the cluster's request rate (ReserveRequest, a GCRA
// token bucket in one row) and the answers of a firing shared between
// replicas (ClaimAnswer, PutAnswer, SharedAnswers: one replica fetches a
// question under a lease, the others wait for its answer or take the
// question over when the lease runs out), which go when the firing ends
// (HoldFiring, ReleaseFiring, SweepAnswers).
//
// Instants are stored as UTC Unix milliseconds, so they read back in UTC,
// truncated to the millisecond. The store reads no clock: callers pass now.
// The schema is migrated by numbered steps in code (migrate.go) when Open
// is called.
//
// Statements are prepared and cached per connection (pgx's default); behind
// PgBouncer in transaction mode add default_query_exec_mode=simple_protocol
// to the URL.
//
// store is a leaf: it imports database/sql and its drivers, never another
// package of this module.
package store
