package templates

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	texttemplate "text/template"

	"livechat-digest/digest"
)

//go:embed tmpl/*.tmpl
var embedded embed.FS

// Names of the embedded templates; a file with the same name in the
// override directory replaces one.
const (
	digestText = "digest.txt.tmpl"
	digestHTML = "digest.html.tmpl"
	alertText  = "alert.txt.tmpl"
	alertHTML  = "alert.html.tmpl"
	// alertGroupHTML is an alert email of several lines (alertgroup.go).
	alertGroupHTML = "alert-group.html.tmpl"
)

// executor is what text/template and html/template templates have in common.
type executor interface {
	Execute(w io.Writer, data any) error
}

// Renderer renders digests and alerts. It is safe for concurrent use: its
// templates are parsed once in New and only executed afterwards.
type Renderer struct {
	tmpl  map[string]executor
	files map[string]string // template name → file it came from, for errors
}

// TemplateError is a template that does not parse or does not execute
// against a sample digest. It prints as "FILE:LINE: message", the form
// config errors take, so `validate` can list it with the others.
type TemplateError struct {
	File string
	Line int // 0 when the error names no line
	Msg  string
}

func (e *TemplateError) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Msg
	}
	return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
}

// New parses the embedded templates. When overrideDir is not "", a file in
// it named like an embedded template (digest.txt.tmpl, digest.html.tmpl,
// alert.txt.tmpl, alert.html.tmpl, alert-group.html.tmpl) replaces that
// template; other files are ignored. Each template is executed once against
// a sample (digest, alert or alert group) so that a misspelt field fails
// here, as a *TemplateError naming FILE:LINE, and not at 9 a.m. on Monday.
func New(overrideDir string) (*Renderer, error) {
	r := &Renderer{tmpl: map[string]executor{}, files: map[string]string{}}
	var errs []error
	for _, name := range []string{digestText, digestHTML, alertText, alertHTML, alertGroupHTML} {
		src, err := embedded.ReadFile("tmpl/" + name)
		if err != nil {
			return nil, fmt.Errorf("templates: embedded %s: %w", name, err)
		}
		file := name
		if overrideDir != "" {
			path := filepath.Join(overrideDir, name)
			b, err := readFile(path, maxTemplateFile)
			switch {
			case err == nil:
				src, file = b, path
			case !errors.Is(err, fs.ErrNotExist):
				errs = append(errs, &TemplateError{File: path, Msg: err.Error()})
				continue
			}
		}
		t, err := parse(name, string(src))
		if err != nil {
			errs = append(errs, templateError(file, err))
			continue
		}
		if err := trial(t, name); err != nil {
			errs = append(errs, templateError(file, err))
			continue
		}
		r.tmpl[name], r.files[name] = t, file
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

// readFile reads at most limit bytes of path; a larger file is an error.
func readFile(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("larger than %s; a template needs far less", sizeString(limit))
	}
	return b, nil
}

// trial executes t against a full and an empty sample, so that both sides
// of the usual {{if}}s are checked.
func trial(t executor, name string) error {
	for _, data := range samples(name) {
		if err := t.Execute(&capWriter{w: io.Discard, limit: maxOutput}, data); err != nil {
			return err
		}
	}
	return nil
}

// parse parses one template file and checks its tree against the limits
// (checkTrees): a loop that would not end is an error here, at its line.
func parse(name, src string) (executor, error) {
	if strings.HasSuffix(name, ".html.tmpl") {
		t, err := htmltemplate.New(name).Funcs(htmlFuncs).Option("missingkey=error").Parse(src)
		if err != nil {
			return nil, err
		}
		return t, checkTrees(htmlTrees(t))
	}
	t, err := texttemplate.New(name).Funcs(textFuncs).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, err
	}
	return t, checkTrees(textTrees(t))
}

// Template functions: ours, and guarded versions of the built-ins that
// make strings (limits.go). Read-only tables, allowed at package level.
var (
	textFuncs = texttemplate.FuncMap(templateFuncs())
	htmlFuncs = htmltemplate.FuncMap(templateFuncs())
)

func templateFuncs() map[string]any {
	m := guardedFuncs()
	m["padr"], m["padl"], m["repeat"] = padRight, padLeft, repeat
	return m
}

func repeat(n int, s string) string {
	if n <= 0 || n > maxPad {
		return ""
	}
	return strings.Repeat(s, n)
}

// templateErrRe picks name, line and message out of text/template and
// html/template errors: "template: NAME:LINE: msg",
// "template: NAME:LINE:COL: executing ...", "html/template:NAME:LINE:COL: msg".
var templateErrRe = regexp.MustCompile(`^(?:html/)?template: ?[^:]*:(\d+):(?:\d+:)? ?(.*)$`)

func templateError(file string, err error) error {
	var te *treeError
	if errors.As(err, &te) {
		return &TemplateError{File: file, Line: te.line, Msg: te.msg}
	}
	msg := err.Error()
	if m := templateErrRe.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &TemplateError{File: file, Line: line, Msg: m[2]}
	}
	return &TemplateError{File: file, Msg: msg}
}

func (r *Renderer) execute(name string, data any) ([]byte, error) {
	t, ok := r.tmpl[name]
	if !ok {
		return nil, errors.New("templates: renderer not made by New")
	}
	var buf bytes.Buffer
	if err := t.Execute(&capWriter{w: &buf, limit: maxOutput}, data); err != nil {
		return nil, fmt.Errorf("templates: %w", templateError(r.files[name], err))
	}
	return buf.Bytes(), nil
}

// Render renders d in format f. JSON is the contract's digest JSON (two-space
// indent, trailing newline); text is an aligned table for a terminal; HTML
// is the email body as a page of its own, with the chart inlined as a data:
// URI when d has daily chats (Email writes it as cid:chart.png instead);
// slack is {"text": fallback, "blocks": [...]}.
func (r *Renderer) Render(d *digest.Digest, f Format) ([]byte, error) {
	if d == nil {
		return nil, errors.New("templates: nil digest")
	}
	switch f {
	case FormatJSON:
		b, err := json.MarshalIndent(withEmptyLists(d), "", "  ")
		if err != nil {
			return nil, fmt.Errorf("templates: digest json: %w", err)
		}
		return append(b, '\n'), nil
	case FormatText:
		return r.execute(digestText, newDigestView(d))
	case FormatHTML:
		return r.standaloneHTML(d)
	case FormatSlack:
		s, err := r.Slack(d)
		if err != nil {
			return nil, err
		}
		return marshalSlack(s)
	}
	return nil, fmt.Errorf("templates: unknown format %q", f)
}

// withEmptyLists returns d with nil lists and maps as empty ones: the
// contract's JSON writes "breaches": [] when there are none, and keeps null
// for values that do not exist. Like every format, the JSON has its strings
// Cleaned and a value that is not a finite number (an overflow) as null,
// which JSON can say; the rankings keep every row and the whole name.
func withEmptyLists(d *digest.Digest) *digest.Digest {
	c := *d
	c.Job, c.Timezone = oneLine(c.Job), oneLine(c.Timezone)
	c.Metrics = make(map[string]digest.Value, len(d.Metrics))
	for k, v := range d.Metrics {
		v.Current, v.Previous = finiteOrNil(v.Current), finiteOrNil(v.Previous)
		v.Change, v.ChangePct = finiteOrNil(v.Change), finiteOrNil(v.ChangePct)
		c.Metrics[oneLine(k)] = v
	}
	c.Rankings.Chats = cleanRanking(d.Rankings.Chats)
	c.Rankings.Tickets = cleanRanking(d.Rankings.Tickets)
	c.Breaches = make([]digest.Breach, 0, len(d.Breaches))
	for _, b := range d.Breaches {
		if finite(b.Value) && finite(b.Threshold) {
			b.Metric, b.Rule = oneLine(b.Metric), oneLine(b.Rule)
			c.Breaches = append(c.Breaches, b)
		}
	}
	c.Headline = make([]digest.HeadlineItem, len(d.Headline))
	for i, h := range d.Headline {
		h.Metric, h.Sentence = oneLine(h.Metric), oneLine(h.Sentence)
		if h.Most != nil {
			m := cleanEntry(*h.Most)
			h.Most = &m
		}
		c.Headline[i] = h
	}
	if d.Breakdown != nil {
		c.Breakdown = make(map[string][]digest.BreakdownEntry, len(d.Breakdown))
		for k, es := range d.Breakdown {
			out := make([]digest.BreakdownEntry, len(es))
			for i, e := range es {
				out[i] = cleanEntry(e)
			}
			c.Breakdown[oneLine(k)] = out
		}
	}
	c.Errors = make([]digest.ReportError, len(d.Errors))
	for i, e := range d.Errors {
		e.Report, e.Error = oneLine(e.Report), oneLine(e.Error)
		c.Errors[i] = e
	}
	return &c
}

// cleanEntry is a breakdown entry with its names Cleaned (an agent's is a
// login from LiveChat), kept whole as the rankings keep theirs.
func cleanEntry(e digest.BreakdownEntry) digest.BreakdownEntry {
	e.Key, e.Name = oneLine(e.Key), oneLine(e.Name)
	return e
}

func cleanRanking(es []digest.RankEntry) []digest.RankEntry {
	out := make([]digest.RankEntry, len(es))
	for i, e := range es {
		e.Agent = oneLine(e.Agent)
		if !finite(e.Score) {
			e.Score = 0 // decoded JSON is always finite; a hand-made digest may not be
		}
		out[i] = e
	}
	return out
}

func finiteOrNil(v *float64) *float64 {
	if v == nil || !finite(*v) {
		return nil
	}
	return v
}
