package ui

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"livechat-digest/templates"
	"livechat-digest/unsubscribe"
)

//go:embed tmpl/*.html static/ui.css
var files embed.FS

// Defaults of Options.
const (
	DefaultSessionTTL     = 12 * time.Hour
	DefaultPreviewTimeout = 90 * time.Second
	// DefaultPreviewWait is how long a page waits for a preview build
	// before it says the build is still under way. It stays below the
	// HTTP server's 30 s write timeout (server.WriteTimeout), past which
	// the answer would be cut off unsent.
	DefaultPreviewWait = 20 * time.Second
	previewTTL         = 30 * time.Second // a reload within this reuses the last build
)

// Security headers. The page CSP allows this origin's stylesheet, forms
// and frames only; the preview CSP (inline styles and the data: chart of
// the email HTML, nothing else) applies to the framed preview alone.
const (
	pageCSP    = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'"
	previewCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox"
)

// Unsubscriber records unsubscribes; *store.Store provides it.
type Unsubscriber interface {
	Unsubscribe(ctx context.Context, job, address string, now time.Time) (bool, error)
}

// UnsubscribeOptions turn on /unsubscribe.
type UnsubscribeOptions struct {
	Signer *unsubscribe.Signer
	Store  Unsubscriber
}

// Options configure a UI. The page is on when Users or ProxyUserHeader is
// set (then Secret, Data, Previewer, Requeuer and Renderer are required);
// /unsubscribe is on when Unsubscribe is set.
type Options struct {
	// Secret keys sessions and CSRF tokens (server.secret).
	Secret string
	// Secure marks the session cookie Secure: public_url is https.
	Secure bool
	// Users maps login names to bcrypt hashes.
	Users map[string]string
	// ProxyUserHeader is believed only from TrustedProxies.
	ProxyUserHeader string
	TrustedProxies  []netip.Prefix

	Data      Data
	Previewer Previewer
	Requeuer  Requeuer
	Renderer  *templates.Renderer
	// Resubscriber, when set, adds a Re-subscribe button to each
	// unsubscription the page lists.
	Resubscriber Resubscriber

	Unsubscribe *UnsubscribeOptions

	// PreviewTimeout bounds one preview build. Default 90s.
	PreviewTimeout time.Duration
	// PreviewWait bounds how long a page waits for a build; the build
	// goes on after it. Default DefaultPreviewWait.
	PreviewWait time.Duration
	// SessionTTL is how long a sign-in lasts. Default 12h.
	SessionTTL time.Duration
	Now        func() time.Time
	Logger     *slog.Logger
}

// UI serves the operator page and /unsubscribe.
type UI struct {
	o        Options
	log      *slog.Logger
	pages    map[string]*template.Template
	handler  http.Handler
	keys     keys
	previews *previews
	// logins holds a slot per bcrypt check under way: at most one runs
	// at a time. Each costs tens of milliseconds of CPU by design, so a
	// flood of sign-ins would otherwise take every core from the
	// scheduler and from slash commands, whose acks Slack wants in 3 s.
	// An attempt that finds the slot taken is told to try again (429).
	logins chan struct{}
	// compare is bcrypt.CompareHashAndPassword; tests hold it.
	compare func(hash, password []byte) error
	// unknownHash is what the password of an unknown user name is checked
	// against: the configured hash of the highest cost, so that a wrong
	// name takes as long as a wrong password and does not tell which
	// names exist (a fixed cost-10 hash did, next to cost-12 users).
	unknownHash []byte
}

// keys are the HMAC keys derived from the secret, one per use.
type keys struct{ session, csrf []byte }

func derive(secret, purpose string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("livechat-digest/" + purpose + "/v1"))
	return m.Sum(nil)
}

// PageOn reports whether o turns the operator page on.
func (o Options) PageOn() bool { return len(o.Users) > 0 || o.ProxyUserHeader != "" }

// New checks o and builds the routes.
func New(o Options) (*UI, error) {
	if o.PageOn() {
		switch {
		case o.Secret == "":
			return nil, errors.New("ui: the page needs a secret")
		case o.Data == nil || o.Previewer == nil || o.Requeuer == nil || o.Renderer == nil:
			return nil, errors.New("ui: the page needs Data, Previewer, Requeuer and Renderer")
		case o.ProxyUserHeader != "" && len(o.TrustedProxies) == 0:
			return nil, errors.New("ui: a proxy user header needs trusted proxies")
		}
	}
	if o.Unsubscribe != nil && (o.Unsubscribe.Signer == nil || o.Unsubscribe.Store == nil) {
		return nil, errNoSigner
	}
	if o.PreviewTimeout <= 0 {
		o.PreviewTimeout = DefaultPreviewTimeout
	}
	if o.PreviewWait <= 0 {
		o.PreviewWait = DefaultPreviewWait
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = DefaultSessionTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	u := &UI{o: o, log: o.Logger, pages: map[string]*template.Template{},
		keys:   keys{session: derive(o.Secret, "session"), csrf: derive(o.Secret, "csrf")},
		logins: make(chan struct{}, 1), compare: bcrypt.CompareHashAndPassword, unknownHash: dummyHash}
	best := -1
	for _, h := range o.Users {
		if c, err := bcrypt.Cost([]byte(h)); err == nil && c > best {
			best, u.unknownHash = c, []byte(h)
		}
	}
	u.previews = newPreviews(o.Previewer, o.PreviewTimeout, o.PreviewWait, o.Now)
	for _, name := range []string{"login", "index", "job", "unsubscribe", "error"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "tmpl/layout.html", "tmpl/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("ui: template %s: %w", name, err)
		}
		u.pages[name] = t
	}

	mux := http.NewServeMux()
	if o.Unsubscribe != nil {
		mux.HandleFunc("GET "+unsubscribe.Path, u.unsubscribeGet)
		mux.HandleFunc("POST "+unsubscribe.Path, u.unsubscribePost)
	}
	mux.HandleFunc("GET /static/ui.css", u.css)
	if o.PageOn() {
		mux.HandleFunc("GET /login", u.loginForm)
		mux.HandleFunc("POST /login", u.login)
		mux.Handle("POST /logout", u.authed(u.csrf(http.HandlerFunc(u.logout))))
		mux.Handle("GET /{$}", u.authed(http.HandlerFunc(u.index)))
		mux.Handle("GET /jobs/{name}", u.authed(http.HandlerFunc(u.job)))
		mux.Handle("GET /jobs/{name}/preview.html", u.authed(http.HandlerFunc(u.previewHTML)))
		mux.Handle("POST /deliveries/{id}/requeue", u.authed(u.csrf(http.HandlerFunc(u.requeue))))
		if o.Resubscriber != nil {
			mux.Handle("POST /unsubscribes/resubscribe", u.authed(u.csrf(http.HandlerFunc(u.resubscribe))))
		}
	}
	u.handler = headers(mux)
	return u, nil
}

// Handler returns the routes, with security headers on every answer.
func (u *UI) Handler() http.Handler { return u.handler }

// headers sets the security headers every answer carries; the preview
// handler replaces the CSP and frame options with its own.
func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func (u *UI) css(w http.ResponseWriter, _ *http.Request) {
	b, err := files.ReadFile("static/ui.css")
	if err != nil {
		http.Error(w, "no stylesheet", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=3600")
	_, _ = w.Write(b)
}

// page is what every page template sees besides its own data.
type page struct {
	User  string
	CSRF  string
	Title string
	Data  any
}

func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	p := page{Data: data}
	if who, ok := r.Context().Value(userKey{}).(string); ok {
		p.User = who
	}
	p.CSRF = u.csrfToken(w, r)
	var b strings.Builder
	if err := u.pages[name].Execute(&b, p); err != nil {
		u.log.Error("page failed", "page", name, "err", err)
		http.Error(w, "page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, b.String())
}

func (u *UI) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	u.render(w, r, status, "error", msg)
}

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Format("2006-01-02 15:04 MST")
	},
	"in": func(t time.Time, zone string) time.Time {
		if loc, err := time.LoadLocation(zone); err == nil && zone != "" {
			return t.In(loc)
		}
		return t
	},
	"pathEscape": url.PathEscape,
}
