// Command bench measures livechat-digest against the built-in simulator,
// served by the command itself over loopback HTTP with a fixed latency (50
// ms by default) and counting every request it answers, and prints the
// figures as Markdown for docs/performance.md:
//
//	(a) one digest of all 20 reports with comparison: wall time and
//	    requests, next to a naive sequential fetch of the same requests;
//	(b) one firing of N jobs (100 and 1,000 by default) over 40 (filter,
//	    period) combinations on one `serve` replica (the real binary, built
//	    once, SQLite): upstream requests against distinct requests, the
//	    observed request rate against the configured one, time to the last
//	    run and the last message, and the replica's peak RSS (VmHWM);
//	(c) the same firing of 1,000 jobs on 3 `serve` replicas sharing a
//	    schema of their own on PostgreSQL;
//	(d) slash commands: three batches of 1,000 signed commands at once, 3 s
//	    apart, against a slash-command server in a process of its own: ack
//	    p50/p99/max per batch and whether every answer was posted;
//	(e) render time per digest for each output format.
//
// Each firing of (b) and (c) waits for the next minute boundary and, with
// 1,000 jobs, takes over a minute by design (about 800 distinct requests at
// the default 10 requests/s), so the whole command takes about ten minutes.
// It is not part of `go test ./...`.
//
// Run it with `go run ./bench` from the module root. The client is
// configured from the config file defaults, as a user who sets nothing would
// have it.
//
// It is a command like main: it may import any project package, and nothing
// imports it.
package main
