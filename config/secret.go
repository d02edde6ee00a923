package config

import (
	"fmt"
	"log/slog"
	"time"
)

const redacted = "<secret>"

// Secret is a config value that must never be shown: a password, an API key,
// a token, a database URL that may carry a password. Every way of printing or
// marshalling it gives "<secret>" (an empty Secret stays empty, so "not set"
// is still visible); Reveal is the one way to the value, used only where it
// is handed to the peer that needs it.
type Secret string

// Reveal returns the secret value itself.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) shown() string {
	if s == "" {
		return ""
	}
	return redacted
}

// String redacts the secret.
func (s Secret) String() string { return s.shown() }

// GoString redacts the secret for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("%q", s.shown()) }

// Format redacts the secret for every fmt verb, so %x or %q cannot print
// the value either.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		fmt.Fprintf(f, "%q", s.shown())
	case 'v':
		if f.Flag('#') {
			fmt.Fprint(f, s.GoString())
			return
		}
		fmt.Fprint(f, s.shown())
	default:
		fmt.Fprint(f, s.shown())
	}
}

// LogValue redacts the secret in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.shown()) }

// MarshalJSON redacts the secret. (encoding/json still escapes the angle
// brackets to \u003c; decoders read them back as "<secret>".)
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.shown() + `"`), nil }

// MarshalText redacts the secret for encoders that use text marshalling.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.shown()), nil }

// MarshalYAML redacts the secret.
func (s Secret) MarshalYAML() (any, error) { return s.shown(), nil }

// Duration is a time.Duration written in YAML as "30s" or "6h".
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String renders d as time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalYAML writes d back in the form it is read in.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalText writes d as "30s", so JSON shows it the way the file does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
