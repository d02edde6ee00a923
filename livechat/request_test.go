package livechat

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The credentials of the redaction tests. The key is long enough that its
// token is longer than an excerpt of a DecodeError, and ends so that the
// token differs between the standard and the URL alphabet.
const (
	echoLogin = "me@example.com"
	echoKey   = "dal:echo-secret-key-0123456789abcdefghijklmnopqrstuvwxyz~~~?>?"
)

// echoToken is the basic-auth token of the redaction tests, in enc.
func echoToken(enc *base64.Encoding) string {
	return enc.EncodeToString([]byte(echoLogin + ":" + echoKey))
}

// assertNoEchoedSecret fails if text holds the key or the basic-auth token,
// whole or any piece of eight characters or more.
func assertNoEchoedSecret(t *testing.T, what, text string) {
	t.Helper()
	for _, sec := range []string{echoKey, echoToken(base64.StdEncoding), echoToken(base64.URLEncoding)} {
		for i := 0; i+8 <= len(sec); i++ {
			if strings.Contains(text, sec[i:i+8]) {
				t.Errorf("%s leaks %q, a piece of a secret: %q", what, sec[i:i+8], text)
				return
			}
		}
	}
}

// TestErrorsRedactEchoedCredentials points the client at a peer that echoes
// the request's Authorization header (as a misbehaving proxy might) into
// error answers, and checks that neither the error text nor the excerpt
// carries the key or the token, whatever the status and however the echo
// falls across the excerpt's edges.
func TestErrorsRedactEchoedCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		// body builds the answer from the Authorization header received.
		body func(auth string) string
	}{
		{"500 echoes the header", 500, func(a string) string {
			return `{"error":"bad gateway","request_headers":{"Authorization":"` + a + `"}}`
		}},
		{"400 echoes the header", 400, func(a string) string {
			return `{"error":"bad request","authorization":"` + a + `"}`
		}},
		{"400 echoes the token in the URL alphabet", 400, func(a string) string {
			return `{"error":"bad request","token":"` + base64URL(a) + `"}`
		}},
		{"400 echoes the token unpadded", 400, func(a string) string {
			return `{"error":"bad request","token":"` + strings.TrimRight(strings.TrimPrefix(a, "Basic "), "=") + `"}`
		}},
		{"500 echoes the key", 500, func(string) string {
			return `{"error":"invalid key ` + echoKey + `"}`
		}},
		{"400 with the token cut by the excerpt's end", 400, func(a string) string {
			return strings.Repeat("x", 180) + a + " and more"
		}},
		{"500 with the key cut by the excerpt's end", 500, func(string) string {
			return strings.Repeat("x", 190) + echoKey
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body(r.Header.Get("Authorization")))
			}))
			t.Cleanup(srv.Close)
			c, err := New(srv.URL+"/api-v2/", echoLogin, echoKey,
				WithHTTPClient(srv.Client()), WithRetry(2, time.Millisecond, time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ChatRatings(t.Context(), Query{})
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != tt.status {
				t.Fatalf("err = %v, want an APIError with status %d", err, tt.status)
			}
			if !strings.Contains(ae.Excerpt, redacted) {
				t.Errorf("excerpt %q: want the echoed secret replaced by %s", ae.Excerpt, redacted)
			}
			assertNoEchoedSecret(t, "excerpt", ae.Excerpt)
			assertNoEchoedSecret(t, "error", err.Error())
			assertNoEchoedSecret(t, "error %+v", fmt.Sprintf("%+v", ae))
		})
	}
}

// TestDecodeErrorRedactsEchoedCredentials covers a 200 answer that is not
// JSON because it echoes the header: the DecodeError's excerpt, a window
// that may start and end inside the token, must not carry it either.
func TestDecodeErrorRedactsEchoedCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body func(auth string) string
	}{
		{"header twice", func(a string) string { return a + a }},
		// A control character in the middle of the token makes the error's
		// window start and end inside it.
		{"window inside the token", func(a string) string {
			tok := strings.TrimPrefix(a, "Basic ")
			return `{"` + tok[:52] + "\n" + tok[52:] + `":1}`
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, tt.body(r.Header.Get("Authorization")))
			}))
			t.Cleanup(srv.Close)
			c, err := New(srv.URL+"/api-v2/", echoLogin, echoKey, WithHTTPClient(srv.Client()), WithRetry(1, time.Millisecond, time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ChatRatings(t.Context(), Query{})
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a DecodeError", err)
			}
			t.Logf("decode error: %v", err)
			assertNoEchoedSecret(t, "excerpt", de.Excerpt)
			assertNoEchoedSecret(t, "error", err.Error())
		})
	}
}

// TestRedact pins the pieces redact removes from text cut out of an answer.
func TestRedact(t *testing.T) {
	t.Parallel()
	c, err := New("https://api.example.com", echoLogin, echoKey)
	if err != nil {
		t.Fatal(err)
	}
	tok := echoToken(base64.StdEncoding)
	tests := []struct{ name, in, want string }{
		{"nothing secret", "upstream said no", "upstream said no"},
		{"the key", "key " + echoKey + " is wrong", "key <redacted> is wrong"},
		{"the token", "Basic " + tok, "Basic <redacted>"},
		{"the URL-alphabet token", "t=" + echoToken(base64.URLEncoding) + ";", "t=<redacted>;"},
		{"the token unpadded", "t=" + echoToken(base64.RawStdEncoding) + ";", "t=<redacted>;"},
		{"a token's start at the end", "Basic " + tok[:20], "Basic <redacted>"},
		{"a key's end at the start", echoKey[10:] + " rest", "<redacted> rest"},
		{"all inside the token", tok[5:40], "<redacted>"},
		{"inside the token, broken by a character", tok[21:52] + " " + tok[53:85], "<redacted> <redacted>"},
		{"a short piece stays", "ends in " + echoKey[:3], "ends in " + echoKey[:3]},
		{"a piece inside a reason", `got "` + tok[:31] + `… (near`, `got "<redacted>… (near`},
		{"a key's piece inside a reason", `got "` + echoKey[:31] + `… (near`, `got "<redacted>… (near`},
		{"a short piece inside stays", "at " + echoKey[4:11] + " here", "at " + echoKey[4:11] + " here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := c.redact(tt.in); got != tt.want {
				t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestDecodeErrorReasonRedactsEchoedCredentials: an answer that echoes the
// key or the token where a bucket key or a number belongs (a debugging
// peer) is refused with a DecodeError whose reason quotes a clipped piece
// of that text: the piece must not carry the secret, on either version.
func TestDecodeErrorReasonRedactsEchoedCredentials(t *testing.T) {
	t.Parallel()
	tok := func(a string) string { return strings.TrimPrefix(a, "Basic ") }
	tests := []struct {
		name string
		api  API
		body func(auth string) string
	}{
		{"v2 bucket key", V2, func(a string) string { return `{"` + tok(a) + `":{"chats":1}}` }},
		{"v2 number", V2, func(a string) string { return `{"2026-03-02":{"chats":"` + tok(a) + `"}}` }},
		{"v2 key as a number", V2, func(string) string { return `{"2026-03-02":{"chats":"` + echoKey + `"}}` }},
		{"v3.6 records key", V36, func(a string) string { return `{"records":{"` + tok(a) + `":{}}}` }},
		{"v3.6 number", V36, func(a string) string { return `{"records":{"2026-03-02":{"total":"` + tok(a) + `"}}}` }},
		{"v3.6 key as a number", V36, func(string) string { return `{"records":{"2026-03-02":{"total":"` + echoKey + `"}}}` }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, tt.body(r.Header.Get("Authorization")))
			}))
			t.Cleanup(srv.Close)
			c, err := New(srv.URL+"/api/", echoLogin, echoKey, WithAPI(tt.api), WithHTTPClient(srv.Client()), WithRetry(1, time.Millisecond, time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.TotalChats(t.Context(), Query{From: date("2026-03-02"), To: date("2026-03-02")})
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a DecodeError", err)
			}
			assertNoEchoedSecret(t, "reason", de.Reason)
			assertNoEchoedSecret(t, "error", err.Error())
		})
	}
}

// base64URL turns a "Basic <std token>" header into the token in the URL
// alphabet, as a peer that re-encodes it might echo it.
func base64URL(auth string) string {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(auth, "Basic "))
	if err != nil {
		return "undecodable"
	}
	return base64.URLEncoding.EncodeToString(raw)
}
