// Package templates turns a digest.Digest (and an alert event) into what
// people read: a JSON document (the contract's digest JSON), an aligned text
// table for terminals, an HTML email body, Slack Block Kit JSON and a PNG
// chart of daily chats.
//
// The text and HTML layouts are Go templates embedded with embed; a
// templates directory can replace any of them by file name (see New). Slack
// blocks are built from Go values rather than a template, because Block
// Kit's limits (50 blocks, 10 fields, 150/2000/3000 characters) must hold
// for every digest, and only code can count.
//
// Replacement templates see the same values as the embedded ones: the
// fields of digestView (Title, Job, Timezone, Period, Compare, Filters,
// Sections[].Title/.NotFiltered/.Rows[].Label/.Current/.Previous/.Delta/.Amount/.Pct/.Dir,
// Rankings[].Title/.NotFiltered/.Rows, Breaches, Errors, Warnings, Chart with
// .Src, .Alt, .Width) or alertView (State, Firing, Job, Label, Value,
// Rule, Threshold, Metric, Period, Timezone, Since, Duration, Summary), with
// every number already formatted, and the functions padr, padl and repeat.
// NotFiltered is "not filtered by agent, tags" for a report that could not
// take some of the digest's filters on the API version read; every format
// shows it, so account-wide numbers never pass for filtered ones.
// New executes each one against sample data, so a misspelt field is an
// error at start-up, reported as FILE:LINE.
//
// A replacement template or a subject is the operator's code and cannot be
// interrupted once it runs, so limits.go bounds it: recursion and ranges
// the parsed tree shows to run too long are rejected at their line before
// anything runs; the output, the strings the built-ins make and padding
// are capped while it runs; and the data it sees is capped (rankings to
// Rankings[].Rows plus .More, strings clipped), so a range over data ends.
//
// The HTML is written for mail clients: tables and inline styles carry the
// layout, which fits a 375 px phone without sideways scrolling, and a
// <style> block adds a prefers-color-scheme: dark palette for the clients
// that read it. Email links the chart as cid:chart.png (attached); Render's
// HTML, read in a browser, carries it as a data: URI.
//
// Every string that comes from upstream (job names, agent names, tags,
// filters, error texts) is escaped for its target: html/template for HTML,
// plain_text and rich_text for Slack, and Clean in all formats removes
// control characters and bidi overrides (newlines become spaces) so a name
// cannot move a terminal's cursor, break a line or reorder what is shown.
//
// It owns presentation only: it does no I/O beyond reading override
// templates in New, and it must not import notify, jobs, server, config,
// store or slack-go (Block Kit is produced as plain JSON). It imports
// digest, livechat, the standard library and go-analyze/charts.
package templates
