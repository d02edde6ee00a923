package livechat

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrUnauthorized reports that the API refused the credentials (HTTP 401 or
// 403, or a v3.6 error of type authentication or authorization). Retrying
// cannot help, so callers branch on it with errors.Is.
var ErrUnauthorized = errors.New("livechat: unauthorized")

// ErrTooLarge is wrapped by an *APIError whose answer was larger than the
// client reads (8 MiB). It is not retried: the same request would get the
// same answer.
var ErrTooLarge = errors.New("answer larger than 8 MiB, the most the client reads")

// APIError is a request the API did not answer with 200, or could not be
// reached for, after all tries.
type APIError struct {
	// Endpoint is the report path below "reports/", e.g. "chats/ratings".
	Endpoint string
	// Status is the HTTP status of the last attempt, 0 when the last
	// attempt got no answer (timeout, connection refused).
	Status int
	// RetryAfter is the wait the API asked for (Retry-After on a 429, a
	// rate limit by its v3.6 type, or an answer to try again later), if any.
	RetryAfter time.Duration
	// Excerpt is the start of the last answer's body, secrets removed.
	Excerpt string
	// Type and Message are the error the answer's body names, as v3.6 sends
	// it ({"error": {"type": "authentication", "message": "..."}}). Message
	// is clipped and has secrets removed. Both are empty when the body names
	// no such error (v2's {"error": "..."} stays in Excerpt, as it always
	// did).
	Type    string
	Message string
	// Tries is the number of attempts sent.
	Tries int
	// Err is the transport error of the last attempt when Status is 0.
	Err error
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "livechat: %s: ", e.Endpoint)
	if e.Status == 0 {
		b.WriteString("upstream unreachable")
	} else {
		fmt.Fprintf(&b, "upstream %d", e.Status)
	}
	if e.Type != "" {
		fmt.Fprintf(&b, " %s", e.Type)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, " %q", e.Message)
	}
	if e.Tries == 1 {
		b.WriteString(" after 1 try")
	} else {
		fmt.Fprintf(&b, " after %d tries", e.Tries)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns the transport error of the last attempt, if any.
func (e *APIError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnauthorized) true for 401 and 403 answers and
// for the v3.6 error types authentication and authorization.
func (e *APIError) Is(target error) bool {
	return target == ErrUnauthorized &&
		(e.Status == 401 || e.Status == 403 || e.Type == "authentication" || e.Type == "authorization")
}

// errorBody reads the error an answer's body names the v3.6 way:
// {"error": {"type", "message", "data": {"region"}}}. Anything else gives
// empty strings.
func errorBody(body []byte) (typ, msg, region string) {
	var v struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &v) != nil || !isObject(v.Error) {
		return "", "", ""
	}
	var e struct {
		Type    string `json:"type"`
		Message string `json:"message"`
		Data    struct {
			Region string `json:"region"`
		} `json:"data"`
	}
	if json.Unmarshal(v.Error, &e) != nil {
		return "", "", ""
	}
	return clipType(e.Type), e.Message, clipType(e.Data.Region)
}

// clipType keeps an upstream error type or region only if it looks like one
// (a short snake_case word), so a hostile body cannot put text into logs
// and metrics through it.
func clipType(s string) string {
	if len(s) == 0 || len(s) > 40 {
		return ""
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' && c != '-' {
			return ""
		}
	}
	return s
}

// clipMessage makes an upstream message one short printable line.
func clipMessage(s string) string {
	const maxRunes = 120
	s = printable([]byte(s))
	if utf8.RuneCountInString(s) > maxRunes {
		s = string([]rune(s)[:maxRunes]) + "…"
	}
	return s
}

// DecodeError is an answer the client could not read as the report's shape.
type DecodeError struct {
	Endpoint string
	// Offset is the byte offset in the body near which the problem is.
	Offset int64
	// Excerpt is a short, printable piece of the body around Offset.
	Excerpt string
	// Reason says what was wrong, e.g. `"good": want a number`.
	Reason string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("livechat: %s: bad answer at byte %d: %s (near %q)", e.Endpoint, e.Offset, e.Reason, e.Excerpt)
}

// excerptLen bounds the body text copied into errors.
const excerptLen = 64

// excerpt returns a printable piece of body around off, at most excerptLen
// runes, so an error never carries a whole (possibly huge) answer.
func excerpt(body []byte, off int64) string {
	if off < 0 {
		off = 0
	}
	if off > int64(len(body)) {
		off = int64(len(body))
	}
	start := max(off-excerptLen/2, 0)
	end := min(start+excerptLen, int64(len(body)))
	return printable(body[start:end])
}

// printable turns arbitrary bytes into a one-line, valid UTF-8 string.
func printable(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		switch {
		case r == utf8.RuneError && n <= 1:
			sb.WriteByte('?')
		case r < 0x20 || r == 0x7f:
			sb.WriteByte(' ')
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}
