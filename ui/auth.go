package ui

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Cookie names, as set without Secure; see cookieName.
const (
	sessionCookie = "ld_session"
	csrfCookie    = "ld_csrf"
)

// cookieName is name as this UI sets and reads it. With Secure (public_url
// is https) it carries the __Host- prefix: browsers take such a cookie only
// from a secure origin, with Path=/ and no Domain, so neither a sibling
// subdomain nor a man in the middle of plain http can plant or overwrite
// it, and a planted cookie without the prefix is not read.
func (u *UI) cookieName(name string) string {
	if u.o.Secure {
		return "__Host-" + name
	}
	return name
}

type userKey struct{}

var b64 = base64.RawURLEncoding.Strict()

// dummyHash is compared against when the user name is unknown and no
// configured hash can stand in (see UI.unknownHash).
var dummyHash = []byte("$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy")

// sign returns value "." mac, with the mac over value under key.
func sign(key []byte, value string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(value))
	return value + "." + b64.EncodeToString(m.Sum(nil))
}

// verify returns the value of a string made by sign with key.
func verify(key []byte, signed string) (string, bool) {
	i := strings.LastIndexByte(signed, '.')
	if i < 0 {
		return "", false
	}
	value := signed[:i]
	return value, hmac.Equal([]byte(sign(key, value)), []byte(signed))
}

// authed lets a request through with its user in the context, or refuses
// it. A proxy user header is believed only from a trusted proxy address;
// the same header from anywhere else is refused outright (someone is
// trying to pass as a user). Without it, a valid session cookie signs in.
func (u *UI) authed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := u.o.ProxyUserHeader; h != "" {
			if who := strings.TrimSpace(r.Header.Get(h)); who != "" {
				if !u.trusted(r.RemoteAddr) {
					u.log.Warn("proxy user header from an untrusted address refused", "remote", r.RemoteAddr)
					u.fail(w, r, http.StatusForbidden, "The "+h+" header is accepted only from the trusted proxies.")
					return
				}
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, who)))
				return
			}
		}
		if who, ok := u.session(r); ok {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, who)))
			return
		}
		if len(u.o.Users) == 0 {
			u.fail(w, r, http.StatusUnauthorized, "Sign in through the proxy in front of this page.")
			return
		}
		if r.Method == http.MethodGet {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		u.fail(w, r, http.StatusUnauthorized, "Your session has ended; sign in again.")
	})
}

func (u *UI) trusted(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range u.o.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// sessionKey is the key a user's sessions are signed with: the secret's
// session key and the user's bcrypt hash, so that changing a password (or
// removing the user) ends the sessions signed in with the old one, on
// every replica, with nothing stored.
func (u *UI) sessionKey(hash string) []byte {
	m := hmac.New(sha256.New, u.keys.session)
	m.Write([]byte(hash))
	return m.Sum(nil)
}

// session returns the signed-in user of a valid, unexpired session cookie
// naming a configured user, signed with that user's current hash.
func (u *UI) session(r *http.Request) (string, bool) {
	c, err := r.Cookie(u.cookieName(sessionCookie))
	if err != nil {
		return "", false
	}
	user64, _, _ := strings.Cut(c.Value, ".")
	name, err := b64.DecodeString(user64)
	if err != nil {
		return "", false
	}
	hash, ok := u.o.Users[string(name)]
	if !ok {
		return "", false // removed from the config since
	}
	v, ok := verify(u.sessionKey(hash), c.Value) // v is user64 "." expiry
	if !ok {
		return "", false
	}
	_, exp, ok := strings.Cut(v, ".")
	if !ok {
		return "", false
	}
	until, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !u.o.Now().Before(time.Unix(until, 0)) {
		return "", false
	}
	return string(name), true
}

func (u *UI) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: u.cookieName(name), Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: u.o.Secure, SameSite: http.SameSiteLaxMode}
}

func (u *UI) loginForm(w http.ResponseWriter, r *http.Request) {
	u.render(w, r, http.StatusOK, "login", "")
}

// login checks the form's CSRF token, then the password with bcrypt, and
// sets the session cookie.
func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if !u.csrfOK(r) {
		u.fail(w, r, http.StatusForbidden, "The form was missing its security token; reload the page and try again.")
		return
	}
	select {
	case u.logins <- struct{}{}:
		defer func() { <-u.logins }()
	default:
		w.Header().Set("Retry-After", "1")
		u.render(w, r, http.StatusTooManyRequests, "login", "Too many sign-in attempts at once; try again in a moment.")
		return
	}
	name, pw := r.PostForm.Get("user"), r.PostForm.Get("password")
	hash, known := u.o.Users[name]
	h := u.unknownHash
	if known {
		h = []byte(hash)
	}
	if err := u.compare(h, []byte(pw)); err != nil || !known {
		u.log.Info("sign-in refused", "user", name)
		u.render(w, r, http.StatusUnauthorized, "login", "Wrong user name or password.")
		return
	}
	exp := u.o.Now().Add(u.o.SessionTTL).Unix()
	v := sign(u.sessionKey(hash), b64.EncodeToString([]byte(name))+"."+strconv.FormatInt(exp, 10))
	http.SetCookie(w, u.cookie(sessionCookie, v, int(u.o.SessionTTL/time.Second)))
	u.log.Info("signed in", "user", name)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (u *UI) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, u.cookie(sessionCookie, "", -1))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// csrfToken returns the CSRF token of the browser's csrf cookie, setting a
// fresh random cookie when there is none. The token is an HMAC of the
// cookie's value and of the signed-in user ("" on the sign-in form): a page
// on another site can neither read the cookie nor make the HMAC, so it
// cannot fill in the token. The user is in it because the cookie alone
// can be planted: a sibling subdomain (or a man in the middle of plain
// http) can set ld_csrf to a value whose token it got from this site's
// sign-in form or its own session; that token is not the victim's.
func (u *UI) csrfToken(w http.ResponseWriter, r *http.Request) string {
	seed := ""
	if c, err := r.Cookie(u.cookieName(csrfCookie)); err == nil && len(c.Value) >= 22 {
		seed = c.Value
	} else {
		var b [16]byte
		_, _ = rand.Read(b[:])
		seed = b64.EncodeToString(b[:])
		http.SetCookie(w, u.cookie(csrfCookie, seed, 0))
		r.AddCookie(&http.Cookie{Name: u.cookieName(csrfCookie), Value: seed})
	}
	return u.csrfFor(seed, r)
}

// csrfFor is the token of seed for the user r is signed in as.
func (u *UI) csrfFor(seed string, r *http.Request) string {
	who, _ := r.Context().Value(userKey{}).(string)
	m := hmac.New(sha256.New, u.keys.csrf)
	m.Write([]byte(who))
	m.Write([]byte{0})
	m.Write([]byte(seed))
	return b64.EncodeToString(m.Sum(nil))
}

func (u *UI) csrfOK(r *http.Request) bool {
	c, err := r.Cookie(u.cookieName(csrfCookie))
	got := r.PostForm.Get("csrf")
	if err != nil || got == "" {
		return false
	}
	return hmac.Equal([]byte(got), []byte(u.csrfFor(c.Value, r)))
}

// csrf refuses a POST without the right CSRF token.
func (u *UI) csrf(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
		if err := r.ParseForm(); err != nil || !u.csrfOK(r) {
			u.fail(w, r, http.StatusForbidden, "The form was missing its security token; reload the page and try again.")
			return
		}
		next.ServeHTTP(w, r)
	})
}
