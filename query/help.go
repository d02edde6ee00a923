package query

// HelpText is the short answer to "help", to empty text and, after the
// error, to anything the grammar cannot read.
const HelpText = "Usage:\n" +
	"  /livechat report REPORT[,REPORT...]|all [PERIOD] [group=ID] [agent=LOGIN] [tag=TAG]...\n" +
	"  /livechat digest JOB    run a configured digest now\n" +
	"  /livechat alerts        list every alert: state, value, announced or held, silence\n" +
	"  /livechat silence JOB[/METRIC] DURATION [REASON]   hold back its firings, e.g. 2h\n" +
	"  /livechat silences      list active silences\n" +
	"  /livechat help\n" +
	"PERIOD: today, yesterday, last 7 days (default), last week, this month, last month,\n" +
	"  or YYYY-MM-DD..YYYY-MM-DD; numbers are compared with the period just before\n" +
	"  (this month: the same days of last month; today: yesterday until the same time).\n" +
	"REPORT: all, a metric prefix (chat_ratings, tickets_solved, ...) or chats, ratings, ranking,\n" +
	"  queue, waiting_times, chatting, frt, response_time, occupancy, tickets, ticket_frt,\n" +
	"  solved, resolution, sources; on Reports API v3.6 also duration, visitors, unreplied.\n" +
	"Examples:\n" +
	"  /livechat report ratings last week\n" +
	"  /livechat report chats,frt yesterday group=2\n" +
	"  /livechat report all 2026-11-01..2026-11-07 agent=john@example.com tag=\"vip customers\"\n" +
	"  /livechat digest weekly-support\n"
