package notify

import (
	"errors"
	"strings"
	"time"
)

// Error is a failed send together with the sender's verdict on it. Senders
// return it (or a plain error, which counts as retryable) and Worker, the
// only retry stage, decides what happens next.
type Error struct {
	// Retryable says whether the same message may succeed later.
	Retryable bool
	// RetryAfter is the peer's own hint (Slack's Retry-After); zero if none.
	RetryAfter time.Duration
	Err        error
}

// Error returns the wrapped error's text.
func (e *Error) Error() string {
	if e.Err == nil {
		return "notify: send failed"
	}
	return e.Err.Error()
}

// Unwrap returns the wrapped error.
func (e *Error) Unwrap() error { return e.Err }

// Permanent marks err as not worth retrying: the message or its target is
// wrong (unknown channel, 5xx SMTP reply, invalid_auth).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Retryable: false, Err: err}
}

// Retryable marks err as temporary, with an optional wait the peer asked for.
func Retryable(err error, after time.Duration) error {
	if err == nil {
		return nil
	}
	return &Error{Retryable: true, RetryAfter: after, Err: err}
}

// IsRetryable reports whether a send that failed with err may be tried
// again. Errors that carry no verdict are retryable: an unknown failure is
// more often a network blip than a bad message, and RetryFor bounds the cost.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable
	}
	return true
}

// RetryAfter returns the wait a peer asked for before the next try, or zero.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) && e.Retryable {
		return e.RetryAfter
	}
	return 0
}

// redactedError hides secrets from an error's text while keeping the chain
// for errors.Is and errors.As. The text is computed once so the secret is
// not kept in the value.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact is the last line of defence against a library or peer echoing a
// secret back into an error; senders already avoid putting it there.
func redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	changed := false
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, "<secret>")
			changed = true
		}
	}
	if !changed {
		return err
	}
	return &redactedError{msg: msg, err: err}
}
