// Package query owns the one grammar shared by the Slack slash command
// `/livechat …` and the CLI `livechat-digest report …`. It turns the text a
// user typed into a Command value and back (Command.String is the canonical
// form, and Parse(c.String()) gives c again).
//
// Grammar (keywords are case-insensitive, extra whitespace is ignored):
//
//	report REPORT[,REPORT...]|all [PERIOD] [group=ID] [agent=LOGIN] [tag=TAG]... [tags=A,B]
//	digest JOB
//	alerts
//	silence JOB[/METRIC] DURATION [REASON...]   (DURATION: 30m, 2h, 3d; at most 90d)
//	silences
//	help
//
// The leading "report" may be left out when the text starts with a report
// name ("ratings last week"). Empty text means help. After "report", report
// lists, the period and filters may come in any order.
//
// REPORT is a metric prefix of livechat.Reports (chat_ratings, …; "-" may be
// written for "_") or one of these aliases:
//
//	chats          total_chats
//	ratings        chat_ratings
//	ranking        chat_ranking
//	queue          queued_visitors
//	waiting_times  queue_waiting_times
//	chatting       chatting_time
//	frt            chats_first_response_time
//	first_response chats_first_response_time
//	response_time  chats_response_time
//	occupancy      agents_occupancy
//	tickets        tickets_new
//	ticket_frt     tickets_first_response_time
//	solved         tickets_solved
//	resolution     tickets_resolution_time
//	sources        ticket_sources
//	duration       chat_duration     (v3.6 only)
//	visitors       unique_visitors   (v3.6 only)
//	unreplied      not_replied       (v3.6 only)
//
// "all" is every report of the Reports API version the config reads (20 on
// v2, 14 on v3.6: see livechat.ReportsOn); a report the version lacks named
// by hand is answered as a failed report. Repeated names count once, and
// reports are kept in the order of livechat.Reports whatever order they were
// typed in.
//
// PERIOD is one of the digest.PeriodKind periods; when left out it is
// last_7_days (a whole week of finished days is the most useful default
// answer, and it matches what "compare with the period just before" reads
// best for). Accepted spellings:
//
//	today
//	yesterday
//	last 7 days, last_7_days, last 7d, past 7 days
//	last week, last_week, previous week       (Monday–Sunday)
//	this month, month_to_date, month to date, mtd
//	last month, last_month, previous month
//	YYYY-MM-DD..YYYY-MM-DD, or a single YYYY-MM-DD day: years 2000 to
//	2100, at most 731 days (digest.MinYear, MaxYear, MaxPeriodDays)
//
// "this week" is not accepted: digest has no such period kind.
//
// Filters: group=ID (digits), agent=LOGIN (email-like), tag=TAG (repeatable;
// tag= and tags= both split on commas). "key:value" is accepted for
// "key=value". Values may be double-quoted (also with Slack's curly quotes)
// to hold spaces; whitespace inside is collapsed to single spaces. A second
// group= or agent= is an error; repeated tags count once.
//
// Slack's formatting of the text is undone: <mailto:a@b.c|a@b.c> and
// <http://…|label> links become their label, and &amp; &lt; &gt; become
// & < >. Other Slack markup (<@U123>, <#C123|x>) is an error.
//
// Parse never panics and rejects text longer than MaxLen bytes. Its errors
// are *Error values whose Msg is written for the user who typed the text.
//
// query imports only the standard library, digest and livechat (names
// only); it must not import templates, config, notify, jobs, server or store.
package query
