package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"livechat-digest/digest"
	"livechat-digest/hours"
	"livechat-digest/internal/golden"
	"livechat-digest/livechat"
)

// exampleEnv supplies the variables testdata/example.yaml uses. The values
// are distinctive so leak checks can look for them.
var exampleEnv = []string{
	"LIVECHAT_LOGIN", "me@example.com",
	"LIVECHAT_API_KEY", "lc-key-Zq81",
	"SMTP_PASSWORD", "smtp-pass-Kd02",
	"SLACK_BOT_TOKEN", "xoxb-tok-Ww55",
	"SLACK_SIGNING_SECRET", "sign-sec-Pp47",
	"LIVECHAT_DIGEST_SECRET", "digest-secret-Hh93-0123456789abcdef0123",
}

func ptr(f float64) *float64 { return &f }

func TestLoadContractExample(t *testing.T) {
	t.Parallel()
	c, err := Load("testdata/example.yaml", env(exampleEnv...))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	warsaw, _ := time.LoadLocation("Europe/Warsaw")
	ny, _ := time.LoadLocation("America/New_York")

	if c.File != "testdata/example.yaml" || c.Timezone != "Europe/Warsaw" || c.Location.String() != warsaw.String() {
		t.Errorf("file/timezone: %q %q %v", c.File, c.Timezone, c.Location)
	}
	wantLC := LiveChat{API: livechat.V2, BaseURL: "https://api.livechatinc.com", Login: "me@example.com", APIKey: "lc-key-Zq81",
		Seed: 1, RateLimit: 10, Burst: 30, MaxConcurrent: 32, Timeout: Duration(30 * time.Second), Retries: 4,
		CacheTTL: Duration(time.Minute)}
	if diff := cmp.Diff(wantLC, c.LiveChat); diff != "" {
		t.Errorf("livechat (-want +got):\n%s", diff)
	}
	wantEmail := Email{From: "Support Reports <reports@example.com>", OutboxDir: "./outbox",
		SMTP: &SMTP{Host: "smtp.example.com", Port: 587, Username: "reports", Password: "smtp-pass-Kd02",
			TLS: TLSStartTLS, Timeout: Duration(30 * time.Second)}}
	if diff := cmp.Diff(wantEmail, c.Email); diff != "" {
		t.Errorf("email (-want +got):\n%s", diff)
	}
	wantRest := []any{
		Slack{BotToken: "xoxb-tok-Ww55", SigningSecret: "sign-sec-Pp47", APIURL: "https://slack.com/api/"},
		Server{Addr: ":8080", PublicURL: "https://digest.example.com", Secret: "digest-secret-Hh93-0123456789abcdef0123",
			UI: &UI{Users: map[string]string{"admin": "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}, Line: 16}}, Store{URL: "sqlite:./state.db", Retention: Duration(30 * 24 * time.Hour)},
		Delivery{RetryFor: Duration(30 * time.Minute), Workers: 2},
		Scheduler{CatchUpGrace: Duration(6 * time.Hour), Lease: Duration(2 * time.Minute), ReapEvery: Duration(30 * time.Second), MaxRuns: 32}, "",
	}
	gotRest := []any{c.Slack, c.Server, c.Store, c.Delivery, c.Scheduler, c.TemplatesDir}
	if diff := cmp.Diff(wantRest, gotRest); diff != "" {
		t.Errorf("slack, server, store, delivery, scheduler, templates_dir (-want +got):\n%s", diff)
	}

	if len(c.Jobs) != 3 {
		t.Fatalf("jobs: got %d, want 3", len(c.Jobs))
	}
	locs := cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() })
	wantJobs := []Job{
		{
			Name: "weekly-support", Schedule: "0 9 * * MON", Timezone: "America/New_York", Location: ny,
			Period: digest.Period{Kind: digest.LastWeek}, Compare: digest.PreviousPeriod,
			Filters: Filters{Group: "2", Agent: "john@example.com", Tags: []string{"sales"}},
			Reports: []livechat.Report{livechat.TotalChats, livechat.ChatRatings, livechat.ChatsFirstResponseTime},
			API:     livechat.V2,
			Thresholds: []Threshold{
				{Metric: "chats_first_response_time.seconds", Above: ptr(60), For: 1, Line: 29},
				{Metric: "chat_ratings.satisfaction", Below: ptr(0.8), For: 1, Line: 30},
				{Metric: "total_chats.chats", ChangePctBelow: ptr(-20), For: 1, Line: 31},
			},
			Email:   &JobEmail{To: []string{"leads@example.com"}, Subject: "Support weekly: {{.Period}}", SubjectLine: 32},
			Slack:   &JobSlack{Channel: "#support"},
			Alerts:  &Alerts{Slack: &JobSlack{Channel: "#support-alerts"}, Email: &JobEmail{To: []string{"oncall@example.com"}}},
			Insight: digest.DefaultInsight(),
			Send:    SendAlways,
			Line:    21,
		},
		{
			Name: "frt-watch", Schedule: "*/15 * * * *", Timezone: "Europe/Warsaw", Location: warsaw,
			Period: digest.Period{Kind: digest.Today}, Compare: digest.PreviousPeriod,
			Reports: []livechat.Report{livechat.ChatsFirstResponseTime},
			API:     livechat.V2,
			Thresholds: []Threshold{{Metric: "chats_first_response_time.seconds", Above: ptr(90), For: 1, Line: 40,
				RunbookURL: "https://wiki.example.com/runbooks/frt", DashboardURL: "https://grafana.example.com/d/frt"}},
			Alerts: &Alerts{Slack: &JobSlack{Channel: "#support-alerts"}, RepeatEvery: Duration(4 * time.Hour),
				ActiveHours: hours.Schedule{{Days: [7]bool{false, true, true, true, true, true, false}, Times: []hours.Range{{Start: 480, End: 1080}}}}},
			Insight: digest.Insight{Headline: 0, MinChange: 10, MinCount: 50, FDR: 0.1, MeanCV: 1.5},
			Breakdown: &Breakdown{Breakdown: digest.Breakdown{
				By: []digest.Dimension{digest.ByGroup, digest.ByAgent}, Groups: []digest.Named{{Key: "1", Name: "General"}, {Key: "2", Name: "Sales"}},
				AgentsFromRanking: true, Top: 5, Metrics: []string{"chats_first_response_time.seconds"},
			}, MaxRequests: 20, Line: 47},
			Send: SendAlways,
			Line: 35,
		},
		{
			Name: "chat-anomaly", Schedule: "0 9 * * *", Timezone: "Europe/Warsaw", Location: warsaw,
			Period: digest.Period{Kind: digest.Yesterday}, Compare: digest.PreviousPeriod, API: livechat.V2,
			Reports:    []livechat.Report{livechat.TotalChats},
			Thresholds: []Threshold{{Metric: "total_chats.chats", Anomaly: &Anomaly{Weeks: 8, Z: 3}, For: 1, Line: 53}},
			Alerts:     &Alerts{Slack: &JobSlack{Channel: "#support-alerts"}},
			Insight:    digest.DefaultInsight(),
			Send:       SendAlways,
			Line:       49,
		},
	}
	if diff := cmp.Diff(wantJobs, c.Jobs, locs); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
	if j, ok := c.Job("frt-watch"); !ok || j != &c.Jobs[1] {
		t.Errorf("Job(frt-watch) = %v, %v", j, ok)
	}
	if _, ok := c.Job("nope"); ok {
		t.Error("Job(nope) found a job")
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := Parse("c.yaml", []byte(head+job+"    reports:\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	j := c.Jobs[0]
	if c.Timezone != "UTC" || c.Location != time.UTC || j.Timezone != "UTC" || j.Location != time.UTC {
		t.Errorf("zones: %q %v, job %q %v", c.Timezone, c.Location, j.Timezone, j.Location)
	}
	if j.Period.Kind != digest.Last7Days || j.Compare != digest.PreviousPeriod {
		t.Errorf("period %v compare %v", j.Period, j.Compare)
	}
	if len(j.Reports) != 20 || j.Reports[0] != livechat.TotalChats || j.Reports[19] != livechat.TicketRanking || j.API != livechat.V2 {
		t.Errorf("reports: %v", j.Reports)
	}
	if c.LiveChat.Seed != 1 || c.Store.URL.Reveal() != "sqlite:./state.db" || c.Slack.APIURL != "https://slack.com/api/" || c.Server.Addr != ":8080" {
		t.Errorf("defaults: %+v", c)
	}

	src := `livechat: {base_url: builtin, seed: 0, rate_limit: 2.5, cache_ttl: 0s}
email: {from: r@example.com, smtp: {host: h, tls: tls}}
slack: {api_url: "http://127.0.0.1:9/api"}
scheduler: {catch_up_grace: 0s}
`
	c, err = Parse("c.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	// burst is 3 × rate_limit rounded up; a cache_ttl of 0 turns the cache off.
	if c.LiveChat.Seed != 0 || c.LiveChat.RateLimit != 2.5 || c.LiveChat.Burst != 8 || c.LiveChat.CacheTTL != 0 {
		t.Errorf("livechat: %+v", c.LiveChat)
	}
	if c.Email.SMTP.Port != 465 || c.Slack.APIURL != "http://127.0.0.1:9/api/" || c.Scheduler.CatchUpGrace != 0 {
		t.Errorf("smtp port %d, api url %q, grace %v", c.Email.SMTP.Port, c.Slack.APIURL, c.Scheduler.CatchUpGrace)
	}
}

// TestDoneWhen is the acceptance case: four problems of four kinds give
// exactly four lines, each at its own line.
func TestDoneWhen(t *testing.T) {
	t.Parallel()
	src := `timezone: Europe/Warsaw
livechat:
  base_url: https://api.livechatinc.com
  login: me@example.com
  api_key: ${LIVECHAT_API_KEY}
email:
  from: reports@example.com
  outbox_dir: ./outbox
  colour: blue
jobs:
  - name: weekly
    schedule: "0 9 * * MON *"
    timezone: America/New_Yrok
    email: {to: [leads@example.com]}
`
	got := problems(t, src, env())
	want := []string{
		`c.yaml:5: livechat.api_key: environment variable LIVECHAT_API_KEY is not set (set it, or give a default: ${LIVECHAT_API_KEY:-value})`,
		`c.yaml:9: unknown key "colour" in email (allowed: from, smtp, outbox_dir)`,
		`c.yaml:12: job "weekly": bad cron expression "0 9 * * MON *": expected exactly 5 fields, found 6`,
		`c.yaml:13: jobs[0].timezone: unknown time zone "America/New_Yrok" (use an IANA name such as Europe/Warsaw)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestGoldenManyProblems keeps the output for a config full of mistakes in
// testdata/many-problems.golden: what `validate` prints for it.
func TestGoldenManyProblems(t *testing.T) {
	t.Parallel()
	_, err := Load("testdata/many-problems.yaml", env("SMTP_PASSWORD", "smtp-pass-Kd02"))
	if err == nil {
		t.Fatal("Load: no problems found")
	}
	if strings.Contains(err.Error(), "smtp-pass-Kd02") {
		t.Fatal("a secret is in the output")
	}
	golden.Assert(t, "many-problems", []byte(err.Error()+"\n"))
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load("testdata/nope.yaml", nil)
	if got, want := fmt.Sprint(err), "testdata/nope.yaml: cannot read config: no such file or directory"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestNoSecretInErrors sets every secret and breaks the keys around them:
// no message may contain a secret's value.
func TestNoSecretInErrors(t *testing.T) {
	t.Parallel()
	secrets := []string{"lc-key-Zq81", "smtp-pass-Kd02", "xoxb-tok-Ww55", "sign-sec-Pp47", "db-pass-Ty66"}
	srcs := []string{
		`livechat: {base_url: "lc-key-Zq81", login: x, api_key: "${K}"}
email: {from: "smtp-pass-Kd02", smtp: {host: h, port: "${P}", username: u, password: "${P}", tls: "${P}", timeout: "${P}"}}
slack: {bot_token: "${T}", signing_secret: "${S}", api_url: "${T}"}
store: {url: "mysql://u:db-pass-Ty66@h/x"}
server: {addr: "${S}"}
jobs:
  - {name: "${K}", schedule: "${P}", timezone: "${S}", period: "${T}", compare: "${K}", reports: ["${P}"],
     filters: {group: "${K}"}, thresholds: [{metric: "${T}", above: "${S}"}], email: {to: ["${P}"], subject: "${T}{{"}}}
`,
		"livechat:\n  base_url: builtin\n  api_key: *lc-key-Zq81\n",
		"livechat: {base_url: builtin, api_key: \"${lc-key-Zq81}\"}\n",
		"livechat: {base_url: builtin, api_key: \"x${lc-key-Zq81\"}\n",
		"store: {url: \"postgres://u:db-pass-Ty66@[::1/x\"}\nlivechat: {base_url: builtin}\n",
	}
	for i, src := range srcs {
		_, err := Parse("c.yaml", []byte(src), env("K", "lc-key-Zq81", "P", "smtp-pass-Kd02", "T", "xoxb-tok-Ww55", "S", "sign-sec-Pp47"))
		if err == nil {
			t.Fatalf("config %d: no problems found", i)
		}
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("config %d: the output contains the secret %q:\n%v", i, s, err)
			}
		}
	}
}

func TestSecretRedaction(t *testing.T) {
	t.Parallel()
	s := Secret("hunter2-Xy")
	type holder struct {
		Password Secret `json:"password" yaml:"password"`
		Empty    Secret `json:"empty" yaml:"empty"`
	}
	h := holder{Password: s}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "password", s, "holder", h)
	var jlogged bytes.Buffer
	slog.New(slog.NewJSONHandler(&jlogged, nil)).Info("x", "password", s)
	j, _ := json.Marshal(h)
	y, _ := yaml.Marshal(h)
	outs := map[string]string{
		"%v": fmt.Sprintf("%v", s), "%s": fmt.Sprintf("%s", s), "%q": fmt.Sprintf("%q", s),
		"%x": fmt.Sprintf("%x", s), "%+v": fmt.Sprintf("%+v", h), "%#v": fmt.Sprintf("%#v", h),
		"%v struct": fmt.Sprintf("%v", h), "%v ptr": fmt.Sprintf("%v", &h), "Sprint": fmt.Sprint(s),
		"String": s.String(), "slog text": logged.String(), "slog json": jlogged.String(),
		"yaml": string(y),
	}
	var back map[string]string
	if err := json.Unmarshal(j, &back); err != nil || back["password"] != "<secret>" || back["empty"] != "" {
		t.Errorf("json: %s", j)
	}
	if strings.Contains(string(j), "hunter2") {
		t.Errorf("json shows the secret: %s", j)
	}
	for name, out := range outs {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%s shows the secret: %s", name, out)
		}
		if !strings.Contains(out, "<secret>") {
			t.Errorf("%s does not say <secret>: %s", name, out)
		}
	}
	if got := string(y); got != "password: <secret>\nempty: \"\"\n" {
		t.Errorf("yaml: %q", got)
	}
	if got := fmt.Sprintf("%q|%s", Secret(""), Secret("")); got != `""|` {
		t.Errorf("empty secret: %s", got)
	}
	if s.Reveal() != "hunter2-Xy" {
		t.Errorf("Reveal: %q", s.Reveal())
	}
}

func TestExpand(t *testing.T) {
	t.Parallel()
	getenv := env("A", "alpha", "EMPTY", "", "B_2", "beta")
	tests := []struct {
		in, want, err string
		changed       bool
	}{
		{in: "plain", want: "plain"},
		{in: "${A}", want: "alpha", changed: true},
		{in: "x-${A}-${B_2}-y", want: "x-alpha-beta-y", changed: true},
		{in: "${NOPE:-dflt}", want: "dflt", changed: true},
		{in: "${EMPTY:-dflt}", want: "dflt", changed: true},
		{in: "${EMPTY}", want: "", changed: true},
		{in: "${NOPE:-}", want: "", changed: true},
		{in: "$$A and $${A}", want: "$A and ${A}", changed: true},
		{in: "cost $5, $A", want: "cost $5, $A"},
		{in: "trailing $", want: "trailing $"},
		{in: "${NOPE}", err: "environment variable NOPE is not set (set it, or give a default: ${NOPE:-value})"},
		{in: "${A", err: "unterminated ${ (write $$ for a literal $)"},
		{in: "${}", err: "${...} must hold a variable name such as ${API_KEY} (write $$ for a literal $)"},
		{in: "${1A}", err: "${...} must hold a variable name such as ${API_KEY} (write $$ for a literal $)"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, changed, err := expand(tt.in, getenv)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Errorf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want || changed != tt.changed {
				t.Errorf("got %q, %v, %v; want %q, %v", got, changed, err, tt.want, tt.changed)
			}
		})
	}
}

// TestSchemaMatchesDecoder checks that the schema table, which unknown-key
// messages use to say where a key belongs, lists exactly the keys the
// decoder accepts.
func TestSchemaMatchesDecoder(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := &decoder{file: "example.yaml", getenv: env(exampleEnv...), sections: map[string][]string{}}
	d.parse(append(data, []byte("delivery: {}\nscheduler: {}\n")...))
	if len(d.errs) > 0 {
		t.Fatal(d.errs)
	}
	if diff := cmp.Diff(schema, d.sections); diff != "" {
		t.Errorf("schema table (-) differs from the decoder (+):\n%s", diff)
	}
	for _, s := range schemaOrder {
		if _, ok := schema[s]; !ok {
			t.Errorf("schemaOrder names %q, which schema lacks", s)
		}
	}
	if len(schemaOrder) != len(schema) {
		t.Errorf("schemaOrder has %d sections, schema %d", len(schemaOrder), len(schema))
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/example.yaml", "testdata/many-problems.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(head + job))
	f.Add([]byte("a: &x {b: *x}\njobs: [*x, *x]\n"))
	f.Add([]byte("? [1]\n: 2\n<<: {? [1]: 3}\n"))
	f.Add([]byte("jobs:\n  - schedule: */15 * * * *\n"))
	f.Add([]byte("jobs: [{name: a, thresholds: [{metric: ${X:-goals.goals}, above: .inf, for: 0x10}]}]\n"))
	getenv := env("X", "total_chats.chats", "SMTP_PASSWORD", "pw")
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.yaml", data, getenv)
		if (c == nil) == (err == nil) {
			t.Fatalf("Parse gave config %v and error %v", c != nil, err)
		}
		if err != nil {
			es, ok := err.(Errors)
			if !ok || len(es) == 0 {
				t.Fatalf("error of type %T: %v", err, err)
			}
			for i, e := range es {
				if e.Line < 1 || i > 0 && e.Line < es[i-1].Line {
					t.Fatalf("bad or unsorted line %d: %v", e.Line, err)
				}
			}
			return
		}
		for _, j := range c.Jobs {
			if j.Location == nil || j.Name == "" || len(j.Reports) == 0 || j.Period.Kind == "" {
				t.Fatalf("incomplete job %+v", j)
			}
		}
	})
}

func TestChangePctNeedsAComparison(t *testing.T) {
	t.Parallel()
	cfg := `livechat: {base_url: builtin}
jobs:
  - name: a
    schedule: "0 9 * * *"
    compare: none
    thresholds:
      - {metric: total_chats.chats, above: 10}
      - {metric: total_chats.chats, change_pct_below: -20}
    alerts: {email: {to: [a@example.com]}}
email: {from: r@example.com, outbox_dir: ./o}
`
	_, err := Parse("c.yaml", []byte(cfg), nil)
	want := `c.yaml:8: job "a": a change_pct threshold needs a comparison, but compare is none`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}

func TestRetentionBounds(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ value, want string }{
		{"0", ""},
		{"24h", ""},
		{"720h", ""},
		{"1h", `c.yaml:2: store.retention: must be 0 (keep everything) or at least 24h, got 1h0m0s`},
	} {
		cfg := "livechat: {base_url: builtin}\nstore: {retention: " + tt.value + "}\n"
		_, err := Parse("c.yaml", []byte(cfg), nil)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("retention %s: got %q, want %q", tt.value, got, tt.want)
		}
	}
}

func TestJobSlackChart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, slack string
		want        JobSlack
	}{
		{"default off", `{channel: "#support"}`, JobSlack{Channel: "#support"}},
		{"on", `{channel: "#support", chart: true}`, JobSlack{Channel: "#support", Chart: true}},
		{"off", `{channel: C024BE91L, chart: false}`, JobSlack{Channel: "C024BE91L"}},
		{"from env", `{channel: "#s", chart: "${CHART}"}`, JobSlack{Channel: "#s", Chart: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := "slack: {bot_token: x}\n" + head + "  - {name: a, schedule: \"@daily\", slack: " + tt.slack + "}\n"
			c, err := Parse("c.yaml", []byte(src), env("CHART", "true"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tt.want, c.Jobs[0].Slack); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
