package config

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a config file, at the line of the offending key or
// value. Msg never holds the value of a Secret.
type Error struct {
	File string
	Line int // 1-based; 0 when the problem concerns the whole file (it cannot be read)
	Msg  string
}

// Error renders the problem as FILE:LINE: message, the form editors and
// `validate` understand.
func (e Error) Error() string {
	if e.Line <= 0 {
		return e.File + ": " + e.Msg
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Errors is every problem found in one config file, sorted by line.
type Errors []Error

// Error renders one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find a single Error among them.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// sortByLine orders problems by line, keeping the order they were found in
// for problems on the same line.
func (es Errors) sortByLine() {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Line < es[j].Line })
}
