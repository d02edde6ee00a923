package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Probe is what `livechat-digest check` learns of a store without changing
// it: unlike Open it creates nothing and migrates nothing.
type Probe struct {
	Dialect string
	// NotCreated is set for a SQLite file that does not exist yet: the
	// first command that opens the store creates it.
	NotCreated bool
	// Applied are the migration versions the database has, and Missing
	// those of this binary it lacks (Open applies them); Newer is set when
	// the database has versions this binary does not know (a newer binary
	// migrated it, and this one refuses to write to it).
	Applied []int
	Missing []int
	Newer   bool
}

// Current reports whether the schema is the one this binary expects.
func (p Probe) Current() bool { return !p.NotCreated && len(p.Missing) == 0 && !p.Newer }

// ProbeURL connects to the store named by rawURL as Open would, checks it
// answers and reads which migrations it has. Errors never contain the URL.
func ProbeURL(ctx context.Context, rawURL string) (Probe, error) {
	if path, ok := sqlitePath(rawURL); ok {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return Probe{Dialect: DialectSQLite, NotCreated: true, Missing: versions()}, nil
		}
	}
	s, err := open(rawURL)
	if err != nil {
		return Probe{}, err
	}
	defer s.Close()
	secret := urlPassword(rawURL)
	p := Probe{Dialect: s.dialect}
	if err := s.Ping(ctx); err != nil {
		return p, redact(err, secret)
	}
	exists := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	if s.dialect == DialectPostgres {
		exists = `SELECT COUNT(*) FROM (SELECT to_regclass('schema_migrations') AS t) x WHERE t IS NOT NULL`
	}
	var n int
	if err := s.ro.QueryRowContext(ctx, exists).Scan(&n); err != nil {
		return p, redact(fmt.Errorf("store: probe: %w", err), secret)
	}
	if n > 0 {
		rows, err := s.ro.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
		if err != nil {
			return p, redact(fmt.Errorf("store: probe: %w", err), secret)
		}
		p.Applied, err = collect(rows, func(r scanner) (int, error) {
			var v int
			return v, r.Scan(&v)
		})
		if err != nil {
			return p, redact(fmt.Errorf("store: probe: %w", err), secret)
		}
	}
	known := versions()
	for _, v := range known {
		if !slices.Contains(p.Applied, v) {
			p.Missing = append(p.Missing, v)
		}
	}
	for _, v := range p.Applied {
		if !slices.Contains(known, v) {
			p.Newer = true
		}
	}
	return p, nil
}

// versions lists the migration versions this binary has.
func versions() []int {
	out := make([]int, len(migrations))
	for i, m := range migrations {
		out[i] = m.version
	}
	return out
}

// sqlitePath returns the file of a sqlite: URL.
func sqlitePath(rawURL string) (string, bool) {
	rest, ok := strings.CutPrefix(rawURL, "sqlite:")
	if !ok {
		return "", false
	}
	path, _, _ := strings.Cut(strings.TrimPrefix(rest, "//"), "?")
	return path, path != ""
}
