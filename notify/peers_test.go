package notify

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"livechat-digest/store"
)

// assertNoSecret is the one check that a failing peer's errors and our logs
// never carry a password or token.
func assertNoSecret(t *testing.T, secret string, texts ...string) {
	t.Helper()
	if secret == "" {
		t.Fatal("assertNoSecret: empty secret checks nothing")
	}
	for i, s := range texts {
		if strings.Contains(s, secret) {
			t.Errorf("text %d leaks the secret: %q", i, s)
		}
	}
}

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testLogger() (*slog.Logger, *syncBuffer) {
	var b syncBuffer
	return slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug})), &b
}

// ---- SMTP peer: an in-process go-smtp server ----

type smtpPeerConfig struct {
	tls        bool // offer STARTTLS with a certificate for 127.0.0.1
	implicit   bool // with tls: speak TLS from the first byte instead
	user, pass string
	failFirst  int  // answer the first N DATA commands with 451
	dropAtRset bool // close the connection right after accepting a message
}

type smtpPeer struct {
	cfg   smtpPeerConfig
	addr  string
	roots *x509.CertPool
	cert  tls.Certificate

	mu       sync.Mutex
	srv      *smtp.Server
	ln       net.Listener
	received [][]byte
	rcpts    [][]string
	data     int // DATA commands seen
	hold     *hold
}

// hold keeps a peer from answering (SMTP DATA, a Slack post) until the
// test lets go: the message has reached the peer, the reply has not
// reached the sender. Each request signals arrived as it starts waiting.
type hold struct {
	arrived chan struct{}
	release chan struct{}
	once    sync.Once
}

func newHold(t *testing.T) *hold {
	h := &hold{arrived: make(chan struct{}, 16), release: make(chan struct{})}
	t.Cleanup(h.let) // before the peer stops, or stopping would wait on it
	return h
}

func (h *hold) let() { h.once.Do(func() { close(h.release) }) }

func (h *hold) wait(ctx context.Context) {
	if h == nil {
		return
	}
	h.arrived <- struct{}{}
	select {
	case <-h.release:
	case <-ctx.Done():
	}
}

// holdData makes every later DATA wait, message read, before its reply.
func (p *smtpPeer) holdData(t *testing.T) *hold {
	h := newHold(t)
	p.mu.Lock()
	p.hold = h
	p.mu.Unlock()
	return h
}

func newSMTPPeer(t *testing.T, cfg smtpPeerConfig) *smtpPeer {
	t.Helper()
	p := &smtpPeer{cfg: cfg}
	if cfg.tls {
		ts := httptest.NewTLSServer(http.NotFoundHandler())
		p.cert = ts.TLS.Certificates[0]
		p.roots = x509.NewCertPool()
		p.roots.AddCert(ts.Certificate())
		ts.Close()
	}
	p.start(t)
	t.Cleanup(p.stop)
	return p
}

// start serves on p.addr (a fresh port the first time, the same one after
// a stop) so a client configured once sees the server come back.
func (p *smtpPeer) start(t *testing.T) {
	t.Helper()
	addr := p.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("smtp peer listen %s: %v", addr, err)
	}
	srv := smtp.NewServer(p)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = !p.cfg.tls
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	var serveOn net.Listener = ln
	if p.cfg.tls {
		tc := &tls.Config{Certificates: []tls.Certificate{p.cert}}
		if p.cfg.implicit {
			serveOn = tls.NewListener(ln, tc)
		} else {
			srv.TLSConfig = tc
		}
	}
	p.mu.Lock()
	p.addr = ln.Addr().String()
	p.srv = srv
	p.ln = ln
	p.mu.Unlock()
	go func() { _ = srv.Serve(serveOn) }()
}

func (p *smtpPeer) stop() {
	p.mu.Lock()
	srv, ln := p.srv, p.ln
	p.srv, p.ln = nil, nil
	p.mu.Unlock()
	if srv != nil {
		// Close the listener too: Serve may not have registered it yet.
		_ = ln.Close()
		_ = srv.Close()
	}
}

func (p *smtpPeer) port() int {
	_, port, _ := net.SplitHostPort(p.addr)
	n, _ := strconv.Atoi(port)
	return n
}

func (p *smtpPeer) messages() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.received)
}

func (p *smtpPeer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &smtpSession{p: p, c: c}, nil
}

type smtpSession struct {
	p        *smtpPeer
	c        *smtp.Conn
	authed   bool
	rcpts    []string
	accepted bool
}

func (s *smtpSession) AuthMechanisms() []string {
	if s.p.cfg.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user == s.p.cfg.user && pass == s.p.cfg.pass {
			s.authed = true
			return nil
		}
		return smtp.ErrAuthFailed
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.p.cfg.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.p.mu.Lock()
	h := s.p.hold
	s.p.mu.Unlock()
	h.wait(context.Background()) // go-smtp gives a session no context
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	s.p.data++
	if s.p.data <= s.p.cfg.failFirst {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	}
	s.p.received = append(s.p.received, b)
	s.p.rcpts = append(s.p.rcpts, s.rcpts)
	s.accepted = true
	return nil
}

// Reset runs after every DATA (once 250 is written) and on RSET.
func (s *smtpSession) Reset() {
	if s.accepted && s.p.cfg.dropAtRset {
		_ = s.c.Conn().Close()
	}
	s.accepted = false
	s.rcpts = nil
}

func (s *smtpSession) Logout() error { return nil }

// ---- Slack peer: httptest speaking chat.postMessage ----

type slackReply struct {
	status     int
	retryAfter string
	body       string
}

type slackPost struct {
	Token, Channel, Text, Blocks string
}

type slackPeer struct {
	srv     *httptest.Server
	mu      sync.Mutex
	replies []slackReply // answered in order, then ok
	posts   []slackPost  // every request that reached the handler
	hold    *hold
}

// holdPosts makes every later post wait, recorded, before its reply.
func (p *slackPeer) holdPosts(t *testing.T) *hold {
	h := newHold(t)
	p.mu.Lock()
	p.hold = h
	p.mu.Unlock()
	return h
}

// newSlackPeer mounts the API under /api/ so a client that drops the base
// path fails the test.
func newSlackPeer(t *testing.T, replies ...slackReply) *slackPeer {
	t.Helper()
	p := &slackPeer{replies: replies}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		p.posts = append(p.posts, slackPost{
			Token: r.PostForm.Get("token"), Channel: r.PostForm.Get("channel"),
			Text: r.PostForm.Get("text"), Blocks: r.PostForm.Get("blocks"),
		})
		var rep slackReply
		if len(p.replies) > 0 {
			rep = p.replies[0]
			p.replies = p.replies[1:]
		}
		h := p.hold
		p.mu.Unlock()
		h.wait(r.Context())
		if rep.status == 0 {
			rep = slackReply{status: 200, body: `{"ok":true,"channel":"C1","ts":"1700000000.000100"}`}
		}
		if rep.retryAfter != "" {
			w.Header().Set("Retry-After", rep.retryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rep.status)
		_, _ = io.WriteString(w, rep.body)
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *slackPeer) apiURL() string { return p.srv.URL + "/api" }

func (p *slackPeer) received() []slackPost {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.posts)
}

func (p *slackPeer) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.posts)
}

// ---- fake queue: the store's claim semantics, in memory ----

type fakeQueue struct {
	mu          sync.Mutex
	ds          map[int64]*store.Delivery
	next        int64
	markSentErr int // fail this many MarkSent calls
	sentMarks   int
}

func newFakeQueue() *fakeQueue { return &fakeQueue{ds: map[int64]*store.Delivery{}} }

func (q *fakeQueue) add(t *testing.T, m Message, created time.Time) int64 {
	t.Helper()
	b, err := Encode(m)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.next++
	q.ds[q.next] = &store.Delivery{
		ID: q.next, Key: fmt.Sprintf("k%d", q.next), Job: "weekly-support", Kind: "digest",
		Channel: m.Channel, Target: m.Target(), Payload: b, Status: store.DeliveryQueued,
		NextAttemptAt: created, CreatedAt: created,
	}
	return q.next
}

func (q *fakeQueue) get(id int64) store.Delivery {
	q.mu.Lock()
	defer q.mu.Unlock()
	return *q.ds[id]
}

func (q *fakeQueue) Claim(_ context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]store.Delivery, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []store.Delivery
	for _, d := range q.ds {
		due := d.Status == store.DeliveryQueued && !d.NextAttemptAt.After(now) ||
			d.Status == store.DeliverySending && d.ClaimedUntil.Before(now)
		if due {
			out = append(out, *d)
		}
	}
	slices.SortFunc(out, func(a, b store.Delivery) int {
		if c := a.NextAttemptAt.Compare(b.NextAttemptAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	for i := range out {
		d := q.ds[out[i].ID]
		d.Status, d.ClaimedBy, d.ClaimedUntil = store.DeliverySending, owner, now.Add(lease)
		out[i] = *d
	}
	return out, nil
}

var errLeaseLost = errors.New("fake: lease lost")

func (q *fakeQueue) owned(id int64, owner string) (*store.Delivery, error) {
	d, ok := q.ds[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	if d.ClaimedBy != owner || d.Status != store.DeliverySending {
		return nil, errLeaseLost
	}
	return d, nil
}

func (q *fakeQueue) MarkSent(_ context.Context, id int64, owner string, now time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.markSentErr > 0 {
		q.markSentErr--
		return errors.New("fake: database is locked")
	}
	d, err := q.owned(id, owner)
	if err != nil {
		return err
	}
	q.sentMarks++
	d.Status, d.SentAt, d.Attempts, d.LastError, d.ClaimedUntil = store.DeliverySent, now, d.Attempts+1, "", time.Time{}
	return nil
}

func (q *fakeQueue) MarkRetry(_ context.Context, id int64, owner string, attempts int, next time.Time, errMsg string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	d, err := q.owned(id, owner)
	if err != nil {
		return err
	}
	d.Status, d.Attempts, d.NextAttemptAt, d.LastError, d.ClaimedBy, d.ClaimedUntil =
		store.DeliveryQueued, attempts, next, errMsg, "", time.Time{}
	return nil
}

func (q *fakeQueue) MarkFailed(_ context.Context, id int64, owner string, attempts int, errMsg string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	d, err := q.owned(id, owner)
	if err != nil {
		return err
	}
	d.Status, d.Attempts, d.LastError, d.ClaimedBy, d.ClaimedUntil =
		store.DeliveryFailed, attempts, errMsg, "", time.Time{}
	return nil
}
