package notify

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/wneessen/go-mail"
)

// buildMail turns an EmailMessage into a go-mail message: text/plain with an
// text/html alternative, inline images embedded under their names so the
// HTML's cid:NAME resolves, and a stable Message-ID and Date. SMTP and the
// outbox write the same bytes (bar MIME boundaries) from it.
//
// Every message says it was machine-made (Auto-Submitted, RFC 3834); a
// digest adds List-Id (RFC 2919) and, with an unsubscribe URL,
// List-Unsubscribe and List-Unsubscribe-Post (RFC 2369, RFC 8058). Mail
// providers want those on bulk mail, and DKIM signing by the relay should
// cover them.
//
// Every error here is about the message itself, so it is permanent.
func buildMail(e *EmailMessage) (*mail.Msg, error) {
	if e == nil {
		return nil, Permanent(errors.New("notify: email: no email part"))
	}
	m := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := m.From(e.From); err != nil {
		return nil, Permanent(fmt.Errorf("notify: email: from: %w", err))
	}
	if len(e.To) == 0 {
		return nil, Permanent(errors.New("notify: email: no recipients"))
	}
	if err := m.To(e.To...); err != nil {
		return nil, Permanent(fmt.Errorf("notify: email to %s: %w", strings.Join(e.To, ","), err))
	}
	m.SetGenHeaderPreformatted(mail.HeaderSubject, subjectHeader(e.Subject))
	m.SetMessageIDWithValue(messageIDOf(e))
	m.SetGenHeader("Auto-Submitted", autoSubmitted)
	m.SetGenHeader("X-Auto-Response-Suppress", autoResponseSuppress)
	if e.ListID != "" {
		if !isDotAtom(e.ListID) {
			return nil, Permanent(fmt.Errorf("notify: email: list id %q is not a dot-atom", e.ListID))
		}
		m.SetGenHeaderPreformatted(mail.Header("List-Id"), "<"+e.ListID+">")
	}
	if e.Unsubscribe != "" {
		v, err := unsubscribeHeader(e.Unsubscribe)
		if err != nil {
			// Never the URL itself: it carries the recipient's token.
			return nil, Permanent(fmt.Errorf("notify: email: unsubscribe url: %w", err))
		}
		m.SetGenHeaderPreformatted(mail.HeaderListUnsubscribe, v)
		m.SetGenHeaderPreformatted(mail.HeaderListUnsubscribePost, listUnsubscribePostOK)
	}
	if !e.Date.IsZero() {
		m.SetDateWithValue(e.Date)
	}
	switch {
	case e.Text != "" && e.HTML != "":
		m.SetBodyString(mail.TypeTextPlain, e.Text)
		m.AddAlternativeString(mail.TypeTextHTML, e.HTML)
	case e.HTML != "":
		m.SetBodyString(mail.TypeTextHTML, e.HTML)
	case e.Text != "":
		m.SetBodyString(mail.TypeTextPlain, e.Text)
	default:
		return nil, Permanent(fmt.Errorf("notify: email to %s: empty body", strings.Join(e.To, ",")))
	}
	for _, in := range e.Inline {
		if in.Name == "" {
			return nil, Permanent(errors.New("notify: email: inline part without a name"))
		}
		var opts []mail.FileOption
		if in.ContentType != "" {
			opts = append(opts, mail.WithFileContentType(mail.ContentType(in.ContentType)))
		}
		if err := m.EmbedReader(in.Name, bytes.NewReader(in.Data), opts...); err != nil {
			return nil, Permanent(fmt.Errorf("notify: email: embed %s: %w", in.Name, err))
		}
	}
	return m, nil
}

// messageIDOf returns the message's Message-ID without angle brackets. A
// message without one gets an ID derived from what it says, so retrying it
// still carries the same ID.
func messageIDOf(e *EmailMessage) string {
	// go-mail writes the value as given: drop anything that could end the
	// header line or the angle brackets it adds.
	id := strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f || r == '<' || r == '>' {
			return -1
		}
		return r
	}, e.MessageID)
	if id != "" {
		return id
	}
	var b strings.Builder
	b.WriteString(e.From)
	b.WriteByte(0)
	b.WriteString(strings.Join(e.To, ","))
	b.WriteByte(0)
	b.WriteString(e.Subject)
	b.WriteByte(0)
	b.WriteString(e.Date.UTC().Format("20060102T150405.999999999Z"))
	b.WriteByte(0)
	b.WriteString(e.Text)
	b.WriteByte(0)
	b.WriteString(e.HTML)
	return "msg." + shortHash(b.String()) + "@" + domainOf(e.From)
}
