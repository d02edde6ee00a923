package livechat_test

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"livechat-digest/livechat"
	"livechat-digest/livechat/sim"
)

// method adapts a typed report method to one signature.
func method[T any](f func(context.Context, livechat.Query) (T, error)) func(context.Context, livechat.Query) (any, error) {
	return func(ctx context.Context, q livechat.Query) (any, error) { return f(ctx, q) }
}

// TestTypedMethods calls each typed method of each API version's reports
// and checks it returns what Fetch returns for its report.
func TestTypedMethods(t *testing.T) {
	t.Parallel()
	for _, api := range livechat.APIs {
		t.Run("v"+string(api), func(t *testing.T) {
			t.Parallel()
			typedMethods(t, api)
		})
	}
}

func typedMethods(t *testing.T, api livechat.API) {
	e := setup(t, sim.Options{Seed: 11}, nil, livechat.WithAPI(api))
	c := e.client
	methods := map[livechat.Report]func(context.Context, livechat.Query) (any, error){
		livechat.TotalChats:               method(c.TotalChats),
		livechat.Engagement:               method(c.Engagement),
		livechat.ChatRatings:              method(c.ChatRatings),
		livechat.ChatRanking:              method(c.ChatRanking),
		livechat.QueuedVisitors:           method(c.QueuedVisitors),
		livechat.QueueWaitingTimes:        method(c.QueueWaitingTimes),
		livechat.Availability:             method(c.Availability),
		livechat.ChattingTime:             method(c.ChattingTime),
		livechat.ChatsFirstResponseTime:   method(c.ChatsFirstResponseTime),
		livechat.ChatsResponseTime:        method(c.ChatsResponseTime),
		livechat.AgentsOccupancy:          method(c.AgentsOccupancy),
		livechat.Goals:                    method(c.Goals),
		livechat.Greetings:                method(c.Greetings),
		livechat.TicketsNew:               method(c.TicketsNew),
		livechat.TicketsFirstResponseTime: method(c.TicketsFirstResponseTime),
		livechat.TicketsSolved:            method(c.TicketsSolved),
		livechat.TicketsResolutionTime:    method(c.TicketsResolutionTime),
		livechat.TicketSources:            method(c.TicketSources),
		livechat.TicketRatings:            method(c.TicketRatings),
		livechat.TicketRanking:            method(c.TicketRanking),
		livechat.ChatDuration:             method(c.ChatDuration),
		livechat.UniqueVisitors:           method(c.UniqueVisitors),
		livechat.NotReplied:               method(c.NotReplied),
	}
	if len(methods) != len(livechat.Reports) {
		t.Fatalf("%d methods for %d reports", len(methods), len(livechat.Reports))
	}
	q := livechat.Query{From: day("2026-03-02"), To: day("2026-03-04"), Weekday: "wed"}
	for _, info := range reportsOn(api) {
		got, err := methods[info.Report](t.Context(), q)
		if err != nil {
			t.Fatalf("%s: %v", info.Report, err)
		}
		want, err := c.Fetch(t.Context(), info.Report, q)
		if err != nil {
			t.Fatalf("Fetch %s: %v", info.Report, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: method and Fetch differ (-Fetch +method):\n%s", info.Report, diff)
		}
	}
	for _, info := range livechat.Reports {
		if _, ok := livechat.MethodOf(api, info.Report); !ok {
			if _, err := methods[info.Report](t.Context(), q); !errors.Is(err, livechat.ErrNotOnAPI) {
				t.Errorf("%s on %s: err = %v, want ErrNotOnAPI", info.Report, api, err)
			}
		}
	}
	if _, err := c.Fetch(t.Context(), "no_such_report", q); err == nil {
		t.Error("Fetch of an unknown report succeeded")
	}
}

// TestMethodDocsCiteEndpoints checks mechanically that each report method's
// doc comment has a "meta: GET /reports/<endpoint>" line for its report, or
// for a report only v3.6 has, "meta: POST /v3.6/reports/<method>".
func TestMethodDocsCiteEndpoints(t *testing.T) {
	t.Parallel()
	f, err := parser.ParseFile(token.NewFileSet(), "reports.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	cited := map[string]string{}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv == nil || fn.Doc == nil {
			continue
		}
		for _, l := range strings.Split(fn.Doc.Text(), "\n") {
			if path, ok := strings.CutPrefix(l, "meta: GET /"); ok {
				cited[fn.Name.Name] = path
			}
			if path, ok := strings.CutPrefix(l, "meta: POST /v3.6/"); ok {
				cited[fn.Name.Name] = path
			}
		}
	}
	names := map[livechat.Report]string{
		livechat.TotalChats: "TotalChats", livechat.Engagement: "Engagement", livechat.ChatRatings: "ChatRatings",
		livechat.ChatRanking: "ChatRanking", livechat.QueuedVisitors: "QueuedVisitors", livechat.QueueWaitingTimes: "QueueWaitingTimes",
		livechat.Availability: "Availability", livechat.ChattingTime: "ChattingTime", livechat.ChatsFirstResponseTime: "ChatsFirstResponseTime",
		livechat.ChatsResponseTime: "ChatsResponseTime", livechat.AgentsOccupancy: "AgentsOccupancy", livechat.Goals: "Goals",
		livechat.Greetings: "Greetings", livechat.TicketsNew: "TicketsNew", livechat.TicketsFirstResponseTime: "TicketsFirstResponseTime",
		livechat.TicketsSolved: "TicketsSolved", livechat.TicketsResolutionTime: "TicketsResolutionTime", livechat.TicketSources: "TicketSources",
		livechat.TicketRatings: "TicketRatings", livechat.TicketRanking: "TicketRanking",
		livechat.ChatDuration: "ChatDuration", livechat.UniqueVisitors: "UniqueVisitors", livechat.NotReplied: "NotReplied",
	}
	for _, info := range livechat.Reports {
		want := info.Path()
		if info.Endpoint == "" {
			m, _ := livechat.MethodOf(livechat.V36, info.Report)
			want = "reports/" + m.Endpoint
		}
		if got := cited[names[info.Report]]; got != want {
			t.Errorf("%s cites %q, want %q", names[info.Report], got, want)
		}
	}
}
