package jobs

import (
	"context"
	"io"
	"log"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"livechat-digest/config"
	"livechat-digest/digest"
	"livechat-digest/livechat"
	"livechat-digest/livechat/sim"
	"livechat-digest/notify"
	"livechat-digest/store"
	"livechat-digest/templates"
)

const (
	testLogin  = "lead@example.com"
	testKey    = "s3cr3t-api-key"
	testPrefix = "/lc"
	testFrom   = "Support Reports <reports@example.com>"
)

// upstream is the simulator behind a real HTTP server, mounted under a
// prefix, with a switch that makes chosen endpoints answer 503 so a test
// can break and mend LiveChat between firings.
type upstream struct {
	srv *httptest.Server
	// failing, when it returns true for an endpoint path below /reports/,
	// answers that request with a 503 instead of asking the simulator.
	mu      sync.Mutex
	failing func(endpoint string) bool
	hits    atomic.Int64
}

func newUpstream(t *testing.T, clock clockwork.Clock) *upstream {
	t.Helper()
	s, err := sim.New(sim.Options{Seed: 7, Login: testLogin, APIKey: testKey, Now: clock.Now})
	require.NoError(t, err)
	u := &upstream{}
	inner := http.StripPrefix(testPrefix, s)
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		ep := strings.TrimPrefix(r.URL.Path, testPrefix+"/reports/")
		u.mu.Lock()
		fail := u.failing != nil && u.failing(ep)
		u.mu.Unlock()
		if fail {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error":"upstream down"}`)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

// fail makes the endpoints for which f is true answer 503; nil mends all.
func (u *upstream) fail(f func(endpoint string) bool) {
	u.mu.Lock()
	u.failing = f
	u.mu.Unlock()
}

func failAll(string) bool { return true }

func (u *upstream) client(t *testing.T, login, key string) *livechat.Client {
	t.Helper()
	c, err := livechat.New(u.srv.URL+testPrefix, login, key,
		livechat.WithHTTPClient(u.srv.Client()),
		livechat.WithRateLimit(1000, 1000),
		livechat.WithRetry(1, time.Millisecond, time.Millisecond), // no retry: a 503 fails the report at once
		livechat.WithTimeout(10*time.Second))
	require.NoError(t, err)
	return c
}

// openStore opens the SQLite file path and closes it at the end of the test
// (a second Close after an explicit one is harmless).
func openStore(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func newRenderer(t *testing.T) *templates.Renderer {
	t.Helper()
	r, err := templates.New("")
	require.NoError(t, err)
	return r
}

func newRunner(t *testing.T, f digest.Fetcher, st Store, clock clockwork.Clock, owner string) *Runner {
	t.Helper()
	r, err := NewRunner(f, newRenderer(t), st, RunnerOptions{Owner: owner, Clock: clock, From: testFrom})
	require.NoError(t, err)
	return r
}

// countingSender counts the sends per Message-ID and passes them on, so a
// duplicate that the outbox would overwrite under the same name still shows.
type countingSender struct {
	next notify.Sender
	mu   sync.Mutex
	sent map[string]int
}

func (c *countingSender) Send(ctx context.Context, m notify.Message) error {
	if err := c.next.Send(ctx, m); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sent == nil {
		c.sent = map[string]int{}
	}
	c.sent[m.Email.MessageID]++
	return nil
}

func (c *countingSender) counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps(c.sent)
}

func maps(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// outboxWorker is a notify.Worker writing email into dir through a
// counting sender.
func outboxWorker(t *testing.T, q notify.Queue, dir, owner string, clock clockwork.Clock) (*notify.Worker, *countingSender) {
	t.Helper()
	o, err := notify.NewOutbox(dir)
	require.NoError(t, err)
	cs := &countingSender{next: o}
	w, err := notify.NewWorker(q, map[string]notify.Sender{notify.ChannelEmail: cs},
		notify.WorkerOptions{Owner: owner, Clock: clock, Lease: 2 * time.Minute, Concurrency: 2})
	require.NoError(t, err)
	return w, cs
}

// email is one message as it arrived: parsed back from its bytes.
type email struct {
	Subject   string
	MessageID string
	To        string
	File      string
}

func parseEmail(t *testing.T, name string, raw io.Reader) email {
	t.Helper()
	m, err := mail.ReadMessage(raw)
	require.NoError(t, err, name)
	subj, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	require.NoError(t, err, name)
	_, err = io.ReadAll(m.Body)
	require.NoError(t, err, name)
	return email{Subject: subj, MessageID: m.Header.Get("Message-Id"), To: m.Header.Get("To"), File: name}
}

// outboxFiles parses every .eml in dir, sorted by file name.
func outboxFiles(t *testing.T, dir string) []email {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	require.NoError(t, err)
	slices.Sort(names)
	var out []email
	for _, n := range names {
		f, err := os.Open(n)
		require.NoError(t, err)
		out = append(out, parseEmail(t, filepath.Base(n), f))
		_ = f.Close()
	}
	return out
}

// countSubjects counts the messages whose subject starts with each prefix.
func countSubjects(es []email, prefixes ...string) map[string]int {
	out := map[string]int{}
	for _, e := range es {
		for _, p := range prefixes {
			if strings.HasPrefix(e.Subject, p) {
				out[p]++
			}
		}
	}
	return out
}

// ---- SMTP peer: an in-process go-smtp server (the shape of notify's) ----

type smtpPeer struct {
	addr string
	srv  *smtp.Server
	mu   sync.Mutex
	msgs [][]byte
}

func newSMTPPeer(t *testing.T) *smtpPeer {
	t.Helper()
	p := &smtpPeer{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p.srv = smtp.NewServer(p)
	p.srv.Domain = "localhost"
	p.srv.AllowInsecureAuth = true
	p.srv.ErrorLog = log.New(io.Discard, "", 0)
	p.srv.ReadTimeout = 10 * time.Second
	p.srv.WriteTimeout = 10 * time.Second
	p.addr = ln.Addr().String()
	go func() { _ = p.srv.Serve(ln) }()
	t.Cleanup(func() { _ = ln.Close(); _ = p.srv.Close() })
	return p
}

func (p *smtpPeer) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{p: p}, nil }

func (p *smtpPeer) sender(t *testing.T) *notify.SMTP {
	t.Helper()
	host, port, err := net.SplitHostPort(p.addr)
	require.NoError(t, err)
	var n int
	for _, c := range port {
		n = n*10 + int(c-'0')
	}
	s, err := notify.NewSMTP(notify.SMTPConfig{Host: host, Port: n, TLS: notify.TLSNone, Timeout: 10 * time.Second})
	require.NoError(t, err)
	return s
}

func (p *smtpPeer) received(t *testing.T) []email {
	t.Helper()
	p.mu.Lock()
	msgs := slices.Clone(p.msgs)
	p.mu.Unlock()
	out := make([]email, 0, len(msgs))
	for i, b := range msgs {
		out = append(out, parseEmail(t, "smtp#"+string(rune('0'+i)), strings.NewReader(string(b))))
	}
	return out
}

type smtpSession struct{ p *smtpPeer }

func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *smtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.p.mu.Lock()
	s.p.msgs = append(s.p.msgs, b)
	s.p.mu.Unlock()
	return nil
}
func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }

// parseConfig parses a config file body; jobs use the simulator's
// credentials and an outbox, which these tests replace with their own.
func parseConfig(t testing.TB, body string) *config.Config {
	t.Helper()
	head := "livechat: {base_url: builtin}\nemail: {from: \"" + testFrom + "\", outbox_dir: ./outbox}\n"
	cfg, err := config.Parse("test.yaml", []byte(head+body), nil)
	require.NoError(t, err)
	return cfg
}

// gocronJobs are the scheduler's gocron jobs, for their planned next runs.
func (sc *Scheduler) gocronJobs() []gocron.Job {
	var out []gocron.Job
	for _, s := range sc.zones {
		out = append(out, s.Jobs()...)
	}
	return out
}

// plannedClock is a fake clock that remembers when each AfterFunc timer is
// due. gocron plans a job's next run by computing the wait from the clock
// and then starting an AfterFunc timer; a test that advanced the clock in
// between would leave the timer planned a whole interval late. Waiting
// until the timer for an instant is planned, before advancing to it,
// closes that gap without any sleep.
type plannedClock struct {
	*clockwork.FakeClock
	mu  sync.Mutex
	due []time.Time
}

func (c *plannedClock) AfterFunc(d time.Duration, f func()) clockwork.Timer {
	c.mu.Lock()
	c.due = append(c.due, c.Now().Add(d))
	c.mu.Unlock()
	return c.FakeClock.AfterFunc(d, f)
}

// planned reports whether a timer due exactly at t was started.
func (c *plannedClock) planned(t time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.ContainsFunc(c.due, t.Equal)
}

// advanceTo waits until a timer due at t is planned, then moves the clock
// to t. Waiting on gocron's goroutine is not a timing assertion.
func (c *plannedClock) advanceTo(t *testing.T, at time.Time) {
	t.Helper()
	require.Eventually(t, func() bool { return c.planned(at) }, 10*time.Second, time.Millisecond, "no timer planned for %s", at)
	c.Advance(at.Sub(c.Now()))
}
