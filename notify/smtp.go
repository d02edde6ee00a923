package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wneessen/go-mail"
)

// TLS modes for SMTPConfig.TLS.
const (
	TLSStartTLS = "starttls" // plain connect, then STARTTLS is required
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // no encryption; auth only to localhost
)

// SMTPConfig is how to reach the mail server.
type SMTPConfig struct {
	Host     string
	Port     int // default 587 for starttls, 465 for tls, 25 for none
	Username string
	Password string
	TLS      string        // TLSStartTLS (default), TLSImplicit or TLSNone
	Timeout  time.Duration // per connection; default 30s
	// RootCAs verifies the server's certificate; nil means the system pool.
	// Tests put their own CA here.
	RootCAs *x509.CertPool
	// Logger, if set, notes a message that was delivered although the
	// session ended in an error (see Send). Nil discards.
	Logger *slog.Logger
}

// SMTP sends email through one SMTP server, one message per connection.
type SMTP struct {
	cfg    SMTPConfig
	addr   string
	logger *slog.Logger
}

// NewSMTP checks cfg and fills in its defaults. It does not connect.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.Host == "" {
		return nil, errors.New("notify: smtp: host is empty")
	}
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	switch cfg.TLS {
	case TLSStartTLS:
		if cfg.Port == 0 {
			cfg.Port = 587
		}
	case TLSImplicit:
		if cfg.Port == 0 {
			cfg.Port = 465
		}
	case TLSNone:
		if cfg.Port == 0 {
			cfg.Port = 25
		}
	default:
		return nil, fmt.Errorf("notify: smtp: tls must be starttls, tls or none, not %q", cfg.TLS)
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("notify: smtp: port %d out of range", cfg.Port)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Password != "" && cfg.Username == "" {
		return nil, errors.New("notify: smtp: password given without username")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &SMTP{
		cfg:    cfg,
		addr:   net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)),
		logger: logger.With("component", "notify", "sender", "smtp"),
	}, nil
}

// Send makes one attempt to deliver m over SMTP.
//
// A message the server accepted (DATA answered 250) is a success even if the
// session fails afterwards (RSET or QUIT on a dropped connection): sending
// it again would deliver it twice. Errors are permanent only when the server
// answered 5xx; refused connections, timeouts, 4xx replies and broken
// sessions are retryable. Cancelling ctx closes the connection at once.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if m.Channel != ChannelEmail || m.Email == nil {
		return Permanent(fmt.Errorf("notify: smtp: cannot send a %q message", m.Channel))
	}
	msg, err := buildMail(m.Email)
	if err != nil {
		return err
	}
	target := strings.Join(m.Email.To, ",")

	var (
		mu    sync.Mutex
		stops []func() bool
	)
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, stop := range stops {
			stop()
		}
	}()
	// go-mail bounds the dial by ctx but the session only by its timeout:
	// tie the connection to ctx so a send ends at ctx's deadline (the
	// worker's SendTimeout) even when the server stalls.
	dial := func(dctx context.Context, network, address string) (net.Conn, error) {
		var d net.Dialer
		conn, err := d.DialContext(dctx, network, address)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		stops = append(stops, context.AfterFunc(ctx, func() { _ = conn.Close() }))
		mu.Unlock()
		if s.cfg.TLS != TLSImplicit {
			return conn, nil
		}
		// Return the *tls.Conn itself: go-mail only trusts PLAIN auth on a
		// connection it can see is TLS.
		tc := tls.Client(conn, s.tlsConfig())
		if err := tc.HandshakeContext(dctx); err != nil {
			_ = conn.Close()
			return nil, err
		}
		return tc, nil
	}

	policy := mail.TLSMandatory
	if s.cfg.TLS != TLSStartTLS {
		// none, or implicit TLS already done by dial.
		policy = mail.NoTLS
	}
	opts := []mail.Option{
		mail.WithPort(s.cfg.Port),
		mail.WithTimeout(s.cfg.Timeout),
		mail.WithTLSPolicy(policy),
		mail.WithTLSConfig(s.tlsConfig()),
		mail.WithDialContextFunc(dial),
	}
	if s.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain),
			mail.WithUsername(s.cfg.Username), mail.WithPassword(s.cfg.Password))
	}
	client, err := mail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return Permanent(s.wrap(target, err))
	}

	err = client.DialAndSendWithContext(ctx, msg)
	if msg.IsDelivered() {
		if err != nil {
			s.logger.LogAttrs(ctx, slog.LevelDebug, "delivered, session ended with an error",
				slog.String("target", target), slog.String("error", s.wrap(target, err).Error()))
		}
		return nil
	}
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return Retryable(s.wrap(target, fmt.Errorf("%w: %w", cerr, err)), 0)
	}
	if code := smtpCode(err); code >= 500 && code <= 599 {
		return Permanent(s.wrap(target, err))
	}
	return Retryable(s.wrap(target, err), 0)
}

func (s *SMTP) wrap(target string, err error) error {
	return redact(fmt.Errorf("notify: email to %s via %s: %w", target, s.addr, err), s.cfg.Password)
}

func (s *SMTP) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: s.cfg.Host, RootCAs: s.cfg.RootCAs, MinVersion: tls.VersionTLS12}
}

// smtpCode finds the server's reply code in err, or 0 when the failure was
// not an answer from the server (refused, reset, timed out).
func smtpCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	var se *mail.SendError
	if errors.As(err, &se) {
		return se.ErrorCode()
	}
	return 0
}
