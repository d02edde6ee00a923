// Command bench measures livechat-digest against the built-in simulator
// served in-process over loopback HTTP with a fixed latency (50 ms by
// default), and prints the figures as Markdown for docs/performance.md:
//
//	(a) one digest of all 20 reports with comparison: wall time and
//	    requests, next to a naive sequential fetch of the same requests;
//	(b) N jobs (10 distinct filter sets) firing at once through the jobs
//	    runner: wall time, upstream requests against distinct requests, and
//	    peak RSS, each size in a fresh child process so its VmHWM is its own;
//	(c) render time per digest for each output format.
//
// Run it with `go run ./bench` from the module root. The client is
// configured from the config file defaults, as a user who sets nothing would
// have it.
//
// It is a command like main: it may import any project package, and nothing
// imports it.
package main
