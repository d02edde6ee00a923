package query_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"livechat-digest/digest"
	"livechat-digest/query"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "help", "alerts", "digest weekly-support",
		"report ratings last week group=2",
		"report all 2026-11-01..2026-11-07 agent=<mailto:j@x.io|j@x.io> tag=\"vip customers\" tags=a,b",
		"ratings,frt this month tag=R&amp;D tag=&lt;x&gt;",
		"report chats tag=“a  b” last 7d",
		"report chats agent=<@U123>",
		"report chats 2026-11-07..2026-11-01",
		"report all 0001-01-01..9999-12-31",
		"report all 2024-11-25..2026-11-25",
		"report chats tag=<mailto:<mailto:a|b>|c> tag=&amp;amp;",
		"report chats tag=“x tags=\"a,b\" agent=<https://x.io|a@x.io>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := query.Parse(text)
		if err != nil {
			return
		}
		if c.Period.Kind == digest.Explicit {
			// What the grammar accepts, digest (and the API) must accept too.
			if err := c.Period.Validate(); err != nil {
				t.Fatalf("Parse(%q) accepted period %v: %v", text, c.Period, err)
			}
		}
		s := c.String()
		again, err := query.Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q) = %q, which does not parse: %v", text, s, err)
		}
		if diff := cmp.Diff(c, again); diff != "" {
			t.Fatalf("Parse(%q) = %q, which parses differently (-first +second):\n%s", text, s, diff)
		}
		if s2 := again.String(); s2 != s {
			t.Fatalf("String not stable: %q then %q", s, s2)
		}
	})
}
