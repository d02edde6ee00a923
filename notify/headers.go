package notify

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Header values that mark every message as machine-made (RFC 3834), so
// auto-responders and vacation replies stay quiet.
const (
	autoSubmitted         = "auto-generated"
	autoResponseSuppress  = "All" // Exchange and Outlook's own spelling of the same wish
	listUnsubscribePostOK = "List-Unsubscribe=One-Click"
)

// fallbackDomain is the right side of a Message-ID when the From address
// has no usable domain. ".invalid" (RFC 2606) can never be a real host.
const fallbackDomain = "livechat-digest.invalid"

// maxHeaderLine is the line length RFC 5322 asks header lines to keep to
// (78 characters before CRLF); encoded words are at most 75 (RFC 2047).
const maxHeaderLine = 78

// domainOf returns the domain of the From address, lower-cased, or
// fallbackDomain when from does not parse or has no domain: the right side
// of a Message-ID should be a domain the sender controls (RFC 5322 3.6.4),
// which filters compare with the From domain.
func domainOf(from string) string {
	addr := from
	if a, err := mail.ParseAddress(from); err == nil {
		addr = a.Address
	}
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return fallbackDomain
	}
	domain := strings.ToLower(strings.TrimSpace(addr[i+1:]))
	if !isDotAtom(domain) {
		return fallbackDomain
	}
	return domain
}

// isDotAtom reports whether s is letters, digits and "-_." only, with no
// empty label: safe as the right side of a Message-ID and inside List-Id.
func isDotAtom(s string) bool {
	if s == "" || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}

// ListID is the List-Id value (without angle brackets) of a job's digest
// sent from from: "JOB.digest.FROM-DOMAIN", e.g.
// "weekly-support.digest.example.com" (RFC 2919). Mail filters and "mute
// this list" buttons key on it, and it stays the same for every firing.
func ListID(job, from string) string {
	return slug(job, 60) + ".digest." + domainOf(from)
}

// subjectHeader encodes a subject for the Subject header, folded so that
// the first line always carries text. go-mail folds a long subject right
// after "Subject:", which leaves the first line empty; RFC 5322 allows that,
// but several clients and filters then read the subject with a leading
// space, or as empty. A subject that is not plain printable ASCII becomes
// RFC 2047 encoded words of at most 75 characters; the fold goes between
// words, never before the first.
func subjectHeader(s string) string {
	s = strings.Join(strings.Fields(oneLineHeader(s)), " ")
	if needsEncoding(s) {
		s = qEncode(s)
	}
	return fold(s, len("Subject: "))
}

// qEncode writes s as RFC 2047 "Q" encoded words, each at most 75
// characters and never splitting a character. mime.QEncoding would leave an
// ASCII subject that merely looks like an encoded word as it is, and a
// reader would then decode it.
func qEncode(s string) string {
	const prefix, suffix = "=?UTF-8?q?", "?="
	room := 75 - len(prefix) - len(suffix)
	var words []string
	var cur strings.Builder
	var buf [utf8.UTFMax]byte
	for _, r := range s {
		var enc string
		switch {
		case r == ' ':
			enc = "_"
		case r >= '!' && r <= '~' && r != '=' && r != '?' && r != '_':
			// As mime.QEncoding writes them, so subjects read the same.
			enc = string(r)
		default:
			n := utf8.EncodeRune(buf[:], r)
			var e strings.Builder
			for _, c := range buf[:n] {
				fmt.Fprintf(&e, "=%02X", c)
			}
			enc = e.String()
		}
		if cur.Len()+len(enc) > room {
			words = append(words, prefix+cur.String()+suffix)
			cur.Reset()
		}
		cur.WriteString(enc)
	}
	if cur.Len() > 0 {
		words = append(words, prefix+cur.String()+suffix)
	}
	return strings.Join(words, " ")
}

// oneLineHeader replaces control characters so a value cannot end its
// header line.
func oneLineHeader(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
}

// needsEncoding reports whether s must be RFC 2047 encoded: anything
// outside printable ASCII, or text that would itself read as an encoded word.
func needsEncoding(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' {
			return true
		}
	}
	return strings.Contains(s, "=?")
}

// fold breaks s at spaces into header lines of at most maxHeaderLine
// characters where the words allow it; used is what the line's first part
// ("Subject: ") takes. The first word always stays on the first line.
func fold(s string, used int) string {
	words := strings.Split(s, " ")
	var b strings.Builder
	n := used
	for i, w := range words {
		if i > 0 {
			if n+1+utf8.RuneCountInString(w) > maxHeaderLine {
				b.WriteString("\r\n ")
				n = 1
			} else {
				b.WriteByte(' ')
				n++
			}
		}
		b.WriteString(w)
		n += utf8.RuneCountInString(w)
	}
	return b.String()
}

// unsubscribeHeader checks a one-click unsubscribe URL and returns the
// List-Unsubscribe value. RFC 8058 wants https; plain http is let through
// only for a loopback host, where tests and local setups run.
func unsubscribeHeader(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || strings.ContainsAny(raw, "<>\r\n\t ,") {
		return "", errors.New("not an absolute http(s) URL without spaces, commas or angle brackets")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return "", fmt.Errorf("scheme %q: one-click unsubscribe needs https", u.Scheme)
	}
	return "<" + u.String() + ">", nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}
