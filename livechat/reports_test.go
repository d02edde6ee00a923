package livechat_test

import (
	"context"
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

// TestTypedMethods calls each of the 20 methods and checks it returns what
// Fetch returns for its report.
func TestTypedMethods(t *testing.T) {
	t.Parallel()
	e := setup(t, sim.Options{Seed: 11}, nil)
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
	}
	if len(methods) != len(livechat.Reports) {
		t.Fatalf("%d methods for %d reports", len(methods), len(livechat.Reports))
	}
	q := livechat.Query{From: day("2026-03-02"), To: day("2026-03-04"), Weekday: "wed"}
	for _, info := range livechat.Reports {
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
	if _, err := c.Fetch(t.Context(), "no_such_report", q); err == nil {
		t.Error("Fetch of an unknown report succeeded")
	}
}

// TestMethodDocsCiteEndpoints checks mechanically that each report method's
// doc comment has a "meta: GET /reports/<endpoint>" line for its report.
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
	}
	for _, info := range livechat.Reports {
		if got := cited[names[info.Report]]; got != info.Path() {
			t.Errorf("%s cites %q, want %q", names[info.Report], got, info.Path())
		}
	}
}
