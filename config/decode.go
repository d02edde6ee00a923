package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decoder walks the YAML node tree by hand instead of decoding into tagged
// structs: that is what lets it report every problem with its line, name
// unknown keys at any depth, and expand ${VAR} one value at a time after the
// YAML is read, so a secret never passes through a YAML error message.
type decoder struct {
	file   string
	getenv func(string) (string, bool)
	errs   Errors
	// sections records, per schema section, the keys the decoder accepted;
	// a test compares it with the schema table.
	sections map[string][]string
	// stat checks paths the config names (Load: os.Stat); nil skips it.
	stat func(string) (os.FileInfo, error)
}

func (d *decoder) errorf(line int, format string, args ...any) {
	if line < 1 {
		line = 1
	}
	d.errs = append(d.errs, Error{File: d.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// parse reads one YAML document and decodes it; problems go to d.errs.
func (d *decoder) parse(data []byte) *Config {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.errorf(1, "config is empty: it needs at least livechat and jobs")
		} else {
			d.syntaxError(err, data)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		d.errorf(next.Line, "only one YAML document is allowed: remove this --- and what follows")
	case !errors.Is(err, io.EOF):
		d.syntaxError(err, data)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			d.errorf(1, "config is empty: it needs at least livechat and jobs")
			return nil
		}
		root = root.Content[0]
	}
	return d.config(root)
}

var (
	yamlLineRE     = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	commentValueRE = regexp.MustCompile(`:[ \t]+#`) // "channel: #support": the value is a comment
	tabIndentRE    = regexp.MustCompile(`(?m)^ *\t`)
	anchorRE       = regexp.MustCompile(`unknown anchor '(.*)' referenced`)
	hintStarCron   = `a value starting with * is a YAML alias: quote it, e.g. schedule: "*/15 * * * *"`
)

// parserProblems are the yaml parser's (not scanner's) messages. yaml.v3
// reports their line 0-based, and omits it on the first line: it prints the
// 0-based mark line and adds 1 only for scanner errors.
var parserProblems = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected <stream-start>",
	"did not find expected key",
	"did not find expected node content",
	"found duplicate %TAG directive",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// syntaxError turns a YAML parse error into a FILE:LINE error. yaml prints
// no line for problems on the first line; an unknown alias carries none at
// all, so its line is found in the text. Anchor names are not echoed: an
// unquoted "*password" is read as an alias named after the password.
func (d *decoder) syntaxError(err error, data []byte) {
	msg := err.Error()
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		for _, p := range parserProblems {
			if msg == p {
				line++
				break
			}
		}
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	switch {
	case anchorRE.MatchString(msg):
		name := anchorRE.FindStringSubmatch(msg)[1]
		line = lineOf(data, regexp.MustCompile(`\*`+regexp.QuoteMeta(name)))
		msg = "a value starting with * is read as a YAML alias, and no such anchor exists: " +
			"quote values that start with * (cron expressions, passwords)"
	case strings.Contains(msg, "did not find expected alphabetic or numeric character"):
		msg = "YAML syntax: " + msg + "; " + hintStarCron
	case strings.Contains(msg, "found a tab character"):
		// yaml points at the start of the enclosing key; the tab is what to fix.
		if l := lineOf(data, tabIndentRE); l > 0 {
			line = l
		}
		msg = "YAML syntax: " + msg + "; indent with spaces"
	case strings.Contains(msg, "found character that cannot start any token"):
		msg = "YAML syntax: " + msg + "; values starting with @ or ` must be quoted"
	default:
		msg = "YAML syntax: " + msg
	}
	// Errors found at the end of the input point one past the last line.
	line = max(1, min(line, bytes.Count(bytes.TrimRight(data, "\n"), []byte("\n"))+1))
	if commentValueRE.MatchString(lineText(data, line)) {
		msg += ` (an unquoted # starts a comment: quote channel names, e.g. "#support")`
	}
	d.errorf(line, "%s", msg)
}

// lineText returns the 1-based line n of data.
func lineText(data []byte, n int) string {
	lines := bytes.Split(data, []byte("\n"))
	if n < 1 || n > len(lines) {
		return ""
	}
	return string(lines[n-1])
}

// lineOf returns the 1-based line of re's first match in data, or 0.
func lineOf(data []byte, re *regexp.Regexp) int {
	loc := re.FindIndex(data)
	if loc == nil {
		return 0
	}
	return bytes.Count(data[:loc[0]], []byte("\n")) + 1
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 8; i++ {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing (null)"
		case "!!bool":
			return "a boolean"
		case "!!int":
			return "an integer"
		case "!!float":
			return "a number"
		}
		return "a string"
	}
	return "an alias"
}

// field handles one key of a mapping: set gets the key and value nodes.
type field struct {
	key string
	set func(k, v *yaml.Node)
}

// mapping checks that n is a mapping, reports unknown and repeated keys,
// and calls the handlers of the keys present in the order fs lists them (not
// the file's), so later handlers can rely on earlier ones. section names the
// place in the schema ("email.smtp", "jobs[]"); path names it for messages
// ("email.smtp", "jobs[2]"). A null value counts as an empty mapping.
func (d *decoder) mapping(n *yaml.Node, section, path string, fs ...field) bool {
	if d.sections != nil {
		keys := make([]string, len(fs))
		for i, f := range fs {
			keys[i] = f.key
		}
		d.sections[section] = keys
	}
	n = resolve(n)
	if n == nil || isNull(n) {
		return true
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n.Line, "%s: expected a mapping of keys, got %s", orTop(path), kindName(n))
		return false
	}
	values := make(map[string][2]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k.Line, "%s: keys must be plain words, got %s", orTop(path), kindName(k))
			continue
		}
		if k.Tag == "!!merge" || k.Value == "<<" && k.Style == 0 {
			d.errorf(k.Line, "%s: merge keys (<<) are not supported", orTop(path))
			continue
		}
		known := false
		for _, f := range fs {
			if f.key == k.Value {
				known = true
				break
			}
		}
		if !known {
			d.errorf(k.Line, "%s", unknownKey(k.Value, section, path, fs))
			continue
		}
		if prev, dup := values[k.Value]; dup {
			d.errorf(k.Line, "%s: key %q repeated (first at line %d)", orTop(path), k.Value, prev[0].Line)
			continue
		}
		values[k.Value] = [2]*yaml.Node{k, v}
	}
	for _, f := range fs {
		if kv, ok := values[f.key]; ok {
			f.set(kv[0], kv[1])
		}
	}
	return true
}

func orTop(path string) string {
	if path == "" {
		return "top level"
	}
	return path
}

// unknownKey says what is allowed here and, when the key exists elsewhere in
// the schema, where it belongs.
func unknownKey(key, section, path string, fs []field) string {
	allowed := make([]string, len(fs))
	for i, f := range fs {
		allowed[i] = f.key
	}
	where := "at the top level"
	if path != "" {
		where = "in " + path
	}
	msg := fmt.Sprintf("unknown key %q %s (allowed: %s)", key, where, strings.Join(allowed, ", "))
	var elsewhere []string
	for _, s := range schemaOrder {
		if s == section {
			continue
		}
		for _, k := range schema[s] {
			if k == key {
				elsewhere = append(elsewhere, sectionName(s))
			}
		}
	}
	if len(elsewhere) > 0 {
		msg += "; " + key + " belongs in " + strings.Join(elsewhere, " or ")
	}
	return msg
}

func sectionName(s string) string {
	if s == "" {
		return "the top level"
	}
	return strings.ReplaceAll(s, "[]", "[N]")
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// scalar is one expanded scalar value.
type scalar struct {
	val      string // after ${VAR} expansion
	raw      string // as written in the file
	line     int
	expanded bool // val came (partly) from the environment
	null     bool // the value is YAML null, e.g. "key:" with nothing after it
	given    bool // the key is in the file
	ok       bool // no problem was reported for the value
}

// empty reports whether a given, well-formed value is empty: a problem
// still to report. Absent keys and values already reported are not.
func (s scalar) empty() bool { return s.given && s.ok && s.val == "" }

// quoted renders the value for an error message. An expanded value is shown
// as written (${VAR}), never as expanded: the environment may hold a secret.
func (s scalar) quoted() string {
	if s.expanded {
		return fmt.Sprintf("%q (after expansion)", s.raw)
	}
	return fmt.Sprintf("%q", s.val)
}

// scalar reads v as a scalar and expands it. ok is false when a problem was
// reported; the returned line is still valid then.
func (d *decoder) scalar(v *yaml.Node, path, want string) (scalar, bool) {
	if v == nil {
		return scalar{}, false
	}
	at := v.Line // an alias is reported where it is used
	v = resolve(v)
	if v == nil {
		return scalar{line: at, given: true}, false
	}
	s := scalar{raw: v.Value, val: v.Value, line: at, given: true}
	if v.Kind != yaml.ScalarNode {
		d.errorf(at, "%s: expected %s, got %s", path, want, kindName(v))
		return s, false
	}
	if isNull(v) {
		s.null, s.val, s.ok = true, "", true
		return s, true
	}
	val, changed, err := expand(v.Value, d.getenv)
	if err != nil {
		d.errorf(at, "%s: %v", path, err)
		return s, false
	}
	s.val, s.expanded, s.ok = val, changed, true
	return s, true
}

// str decodes a string; null leaves *dst alone. Numbers and booleans are
// taken as written, as yaml itself does for string fields.
func (d *decoder) str(v *yaml.Node, path string, dst *string) (scalar, bool) {
	s, ok := d.scalar(v, path, "a string")
	if ok && !s.null {
		*dst = s.val
	}
	return s, ok
}

// secret decodes a Secret; messages about it never show the value.
func (d *decoder) secret(v *yaml.Node, path string, dst *Secret) (scalar, bool) {
	var s string
	sc, ok := d.str(v, path, &s)
	if ok && !sc.null {
		*dst = Secret(s)
	}
	return sc, ok
}

// boolean decodes true or false. YAML 1.1's yes/no/on/off are refused
// rather than guessed at, as is ${VAR} expanding to anything else.
func (d *decoder) boolean(v *yaml.Node, path string, dst *bool) bool {
	s, ok := d.scalar(v, path, "true or false")
	if !ok {
		return false
	}
	switch {
	case s.null:
		d.errorf(s.line, "%s: expected true or false, got nothing", path)
		return false
	case strings.EqualFold(s.val, "true"):
		*dst = true
	case strings.EqualFold(s.val, "false"):
		*dst = false
	default:
		d.errorf(s.line, "%s: expected true or false, got %s", path, s.quoted())
		return false
	}
	return true
}

func (d *decoder) integer(v *yaml.Node, path string, min, max int64, dst *int64) bool {
	s, ok := d.scalar(v, path, "an integer")
	if !ok {
		return false
	}
	if s.null {
		d.errorf(s.line, "%s: expected an integer, got nothing", path)
		return false
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(s.val, "+"), 0, 64)
	if err != nil {
		d.errorf(s.line, "%s: expected an integer, got %s", path, s.quoted())
		return false
	}
	if n < min || n > max {
		d.errorf(s.line, "%s: %d is out of range (%s)", path, n, rangeText(min, max))
		return false
	}
	*dst = n
	return true
}

func rangeText(min, max int64) string {
	if max == math.MaxInt64 || max == math.MaxInt32 {
		return fmt.Sprintf("at least %d", min)
	}
	return fmt.Sprintf("%d to %d", min, max)
}

func (d *decoder) intField(v *yaml.Node, path string, min, max int64, dst *int) bool {
	var n int64
	if !d.integer(v, path, min, max, &n) {
		return false
	}
	*dst = int(n)
	return true
}

func (d *decoder) number(v *yaml.Node, path string, dst **float64) bool {
	s, ok := d.scalar(v, path, "a number")
	if !ok {
		return false
	}
	if s.null {
		d.errorf(s.line, "%s: expected a number, got nothing", path)
		return false
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s.val, "_", ""), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		d.errorf(s.line, "%s: expected a number, got %s", path, s.quoted())
		return false
	}
	*dst = &f
	return true
}

func (d *decoder) duration(v *yaml.Node, path string, min time.Duration, dst *Duration) bool {
	s, ok := d.scalar(v, path, "a duration")
	if !ok {
		return false
	}
	if s.null {
		d.errorf(s.line, "%s: expected a duration such as 30s or 6h, got nothing", path)
		return false
	}
	t, err := time.ParseDuration(s.val)
	if err != nil {
		d.errorf(s.line, "%s: expected a duration such as 30s or 6h, got %s", path, s.quoted())
		return false
	}
	if t < min {
		if min == 0 {
			d.errorf(s.line, "%s: must not be negative", path)
		} else {
			d.errorf(s.line, "%s: must be at least %s", path, min)
		}
		return false
	}
	*dst = Duration(t)
	return true
}

// list checks that v is a list and returns its items; null is an empty list.
func (d *decoder) list(v *yaml.Node, path, of string) ([]*yaml.Node, bool) {
	v = resolve(v)
	if v == nil || isNull(v) {
		return nil, true
	}
	if v.Kind != yaml.SequenceNode {
		d.errorf(v.Line, "%s: expected a list of %s, got %s", path, of, kindName(v))
		return nil, false
	}
	return v.Content, true
}

// strings decodes a list of non-empty strings; n is the number of items,
// good or bad, so an empty list can be told from a list of bad items.
func (d *decoder) strings(v *yaml.Node, path, of string) (vals []scalar, n int, ok bool) {
	items, ok := d.list(v, path, of)
	if !ok {
		return nil, 0, false
	}
	out := make([]scalar, 0, len(items))
	for i, it := range items {
		p := fmt.Sprintf("%s[%d]", path, i)
		s, ok := d.scalar(it, p, of)
		if !ok {
			continue
		}
		if s.null || s.val == "" {
			d.errorf(s.line, "%s: empty %s", p, of)
			continue
		}
		out = append(out, s)
	}
	return out, len(items), true
}

// line is the line of v, following aliases.
func line(v *yaml.Node) int {
	if r := resolve(v); r != nil {
		return r.Line
	}
	return 0
}
