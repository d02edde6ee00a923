package unsubscribe

import (
	"strings"
	"testing"
)

func TestTokenRoundTripAndForgery(t *testing.T) {
	t.Parallel()
	s, err := NewSigner("0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	tok := s.Token("weekly-support", "Boss@Example.com")
	job, addr, err := s.Parse(tok)
	if err != nil || job != "weekly-support" || addr != "boss@example.com" {
		t.Fatalf("Parse = %q, %q, %v", job, addr, err)
	}
	other, _ := NewSigner("another-secret-another-secret-xx")
	forged := other.Token("weekly-support", "boss@example.com")
	p, m, _ := strings.Cut(tok, ".")
	altered := s.Token("weekly-support", "evil@example.com")
	ap, _, _ := strings.Cut(altered, ".")
	for name, bad := range map[string]string{
		"other secret":      forged,
		"swapped payload":   ap + "." + m,
		"truncated mac":     p + "." + m[:len(m)-2],
		"no mac":            p,
		"empty":             "",
		"garbage":           "!!!.???",
		"flipped last char": tok[:len(tok)-1] + string("AB"[len(tok)%2]),
	} {
		if _, _, err := s.Parse(bad); err != ErrInvalid {
			t.Errorf("%s: Parse(%q) err = %v, want ErrInvalid", name, bad, err)
		}
	}
	u := s.URL("https://d.example.com", "weekly-support", "boss@example.com")
	if !strings.HasPrefix(u, "https://d.example.com/unsubscribe?t=") {
		t.Errorf("URL = %q", u)
	}
}

func FuzzParse(f *testing.F) {
	s, _ := NewSigner("0123456789abcdef0123456789abcdef")
	f.Add(s.Token("j", "a@b.c"))
	f.Add("x.y")
	f.Fuzz(func(t *testing.T, tok string) {
		job, addr, err := s.Parse(tok)
		if err == nil && s.Token(job, addr) != tok {
			// Only tokens this signer made are accepted, byte for byte.
			t.Fatalf("accepted %q, which is not Token(%q, %q)", tok, job, addr)
		}
	})
}
