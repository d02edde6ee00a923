package unsubscribe

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
)

// ErrInvalid is returned for a token that was not made with this secret, or
// was altered.
var ErrInvalid = errors.New("unsubscribe: invalid token")

// Path is where serve answers unsubscribe links.
const Path = "/unsubscribe"

// Signer makes and checks tokens with one secret.
type Signer struct{ key []byte }

// NewSigner derives the token key from secret.
func NewSigner(secret string) (*Signer, error) {
	if secret == "" {
		return nil, errors.New("unsubscribe: empty secret")
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("livechat-digest/unsubscribe/v1"))
	return &Signer{key: m.Sum(nil)}, nil
}

// b64 is strict, so a token has exactly one spelling: the unused bits of
// the last character cannot be changed.
var b64 = base64.RawURLEncoding.Strict()

// Token names job and address: base64url(job NUL address) "." base64url(mac).
// Addresses are compared lower-cased, so the token is made over that form.
func (s *Signer) Token(job, address string) string {
	payload := []byte(job + "\x00" + Normalize(address))
	return b64.EncodeToString(payload) + "." + b64.EncodeToString(s.mac(payload))
}

// Parse checks token and returns the job and address it names.
func (s *Signer) Parse(token string) (job, address string, err error) {
	p, m, ok := strings.Cut(token, ".")
	if !ok {
		return "", "", ErrInvalid
	}
	payload, err1 := b64.DecodeString(p)
	mac, err2 := b64.DecodeString(m)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.mac(payload)) {
		return "", "", ErrInvalid
	}
	job, address, ok = strings.Cut(string(payload), "\x00")
	if !ok || job == "" || address == "" {
		return "", "", ErrInvalid
	}
	return job, address, nil
}

// URL is the one-click link for job and address under publicURL (no
// trailing slash).
func (s *Signer) URL(publicURL, job, address string) string {
	return publicURL + Path + "?t=" + url.QueryEscape(s.Token(job, address))
}

func (s *Signer) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write(payload)
	return m.Sum(nil)
}

// Normalize is the form addresses are stored and compared in: trimmed and
// lower-cased. Local parts are case-sensitive in theory, never in practice,
// and a recipient who unsubscribed must not get mail because of a capital.
func Normalize(address string) string { return strings.ToLower(strings.TrimSpace(address)) }
