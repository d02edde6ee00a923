package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"

	"github.com/wneessen/go-mail/smtp"
)

// The steps of an SMTP probe, in order: what ProbeError.Step names.
const (
	ProbeConnect = "connect" // TCP (and TLS from the first byte for tls)
	ProbeGreet   = "greeting"
	ProbeTLS     = "tls" // STARTTLS, mandatory for starttls
	ProbeAuth    = "auth"
)

// ProbeError is a probe that failed at Step. Its text never holds the
// password.
type ProbeError struct {
	Addr string
	Step string
	// Code is the server's SMTP reply code, 0 when the failure was not an
	// answer (refused, timed out, a certificate that does not verify).
	Code int
	Err  error
}

func (e *ProbeError) Error() string {
	return fmt.Sprintf("notify: smtp %s: %s: %v", e.Addr, e.Step, e.Err)
}

func (e *ProbeError) Unwrap() error { return e.Err }

// Probe tries the session Send would open, step by step, and quits before
// any message: connect (TLS from the first byte for tls), greet, STARTTLS
// (mandatory for starttls) and AUTH PLAIN when a username is set. It is
// `livechat-digest check`'s test of the mail server; it sends nothing. A
// failure is a *ProbeError naming the step.
func (s *SMTP) Probe(ctx context.Context) error {
	fail := func(step string, err error) error {
		pe := &ProbeError{Addr: s.addr, Step: step, Code: smtpCode(err), Err: err}
		return redact(pe, s.cfg.Password)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return fail(ProbeConnect, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if s.cfg.TLS == TLSImplicit {
		tc := tls.Client(conn, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail(ProbeConnect, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		return fail(ProbeGreet, err)
	}
	if err := c.Hello("localhost"); err != nil {
		return fail(ProbeGreet, err)
	}
	if s.cfg.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fail(ProbeTLS, errors.New("the server does not offer STARTTLS, which tls: starttls requires"))
		}
		if err := c.StartTLS(s.tlsConfig()); err != nil {
			return fail(ProbeTLS, err)
		}
	}
	if s.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fail(ProbeAuth, errors.New("the server offers no AUTH"))
		}
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.Host, false)); err != nil {
			return fail(ProbeAuth, err)
		}
	}
	// A QUIT that fails after everything else worked is no reason to worry.
	_ = c.Quit()
	return nil
}
