package templates

import (
	"errors"
	"fmt"
	"html"
	"strings"
	texttemplate "text/template"

	"livechat-digest/digest"
)

// DefaultSubject is the subject template of a digest email when the job
// gives none.
const DefaultSubject = "{{.Job}}: {{.Period}}"

// Email is a digest rendered for one email: a subject, a text and an HTML
// alternative, and the chart the HTML shows inline as cid:ChartCID.
type Email struct {
	Subject string
	Text    string
	HTML    string
	Chart   []byte // PNG, nil when the digest has no daily chats
	// ChartCID is the Content-ID to attach Chart under ("chart.png"); ""
	// when there is no chart.
	ChartCID string

	// text and html with an unsubscribe link whose URL is linkSentinel,
	// filled in per recipient by WithUnsubscribe: the digest is rendered
	// once per run, not once per recipient.
	linkText, linkHTML string
}

// linkSentinel stands for a recipient's unsubscribe URL in the rendered
// email; ".invalid" can never be a real host, and html/template writes it
// as it is.
const linkSentinel = "https://unsubscribe.livechat-digest.invalid/link"

// WithUnsubscribe returns e with a visible "Unsubscribe" link to url in
// its footer, text and HTML; url "" leaves e as it is.
func (e Email) WithUnsubscribe(url string) Email {
	if url == "" || e.linkText == "" {
		return e
	}
	e.Text = strings.ReplaceAll(e.linkText, linkSentinel, url)
	e.HTML = strings.ReplaceAll(e.linkHTML, linkSentinel, html.EscapeString(url))
	return e
}

// subjectView is what a subject template sees.
type subjectView struct {
	Job      string
	Period   string // "2026-11-16 – 2026-11-22"
	From, To string // "2026-11-16", "2026-11-22"
	Compare  string // "" when the job compares with nothing
	Timezone string
}

// Email renders d as an email. subjectTmpl is a text/template over Job,
// Period, From, To, Compare and Timezone ("" means DefaultSubject); the
// subject is kept to one line so that it cannot add mail headers.
func (r *Renderer) Email(d *digest.Digest, subjectTmpl string) (Email, error) {
	if d == nil {
		return Email{}, errors.New("templates: nil digest")
	}
	subject, err := Subject(d, subjectTmpl)
	if err != nil {
		return Email{}, err
	}
	text, err := r.Render(d, FormatText)
	if err != nil {
		return Email{}, err
	}
	html, err := r.execute(digestHTML, newDigestView(d)) // the chart as cid:, attached below
	if err != nil {
		return Email{}, err
	}
	png, err := Chart(d)
	if err != nil {
		return Email{}, err
	}
	v := newDigestView(d)
	v.Unsubscribe = linkSentinel
	linkText, err := r.execute(digestText, v)
	if err != nil {
		return Email{}, err
	}
	linkHTML, err := r.execute(digestHTML, v)
	if err != nil {
		return Email{}, err
	}
	e := Email{Subject: subject, Text: string(text), HTML: string(html), Chart: png,
		linkText: string(linkText), linkHTML: string(linkHTML)}
	if png != nil {
		e.ChartCID = chartCID
	}
	return e, nil
}

// SubjectError is a subject template that does not parse or execute. Msg
// says what is wrong in words fit for a FILE:LINE report.
type SubjectError struct{ Msg string }

func (e *SubjectError) Error() string { return "templates: subject: " + e.Msg }

func subjectError(err error) error {
	var te *treeError
	if errors.As(err, &te) {
		return &SubjectError{Msg: fmt.Sprintf("subject:%d: %s", te.line, te.msg)}
	}
	return &SubjectError{Msg: strings.TrimPrefix(err.Error(), "template: ")}
}

// Subject renders a subject template for d (see Email). Config validation
// can call it with a sample digest to check a job's subject early; its
// errors are *SubjectError.
func Subject(d *digest.Digest, subjectTmpl string) (string, error) {
	if strings.TrimSpace(subjectTmpl) == "" {
		subjectTmpl = DefaultSubject
	}
	// A subject is the operator's template like a templates_dir file, and
	// is held to the same limits (limits.go).
	t, err := texttemplate.New("subject").Funcs(guardedFuncs()).Option("missingkey=error").Parse(subjectTmpl)
	if err != nil {
		return "", subjectError(err)
	}
	if err := checkTrees(textTrees(t)); err != nil {
		return "", subjectError(err)
	}
	v := subjectView{
		Job:      oneLine(d.Job),
		Period:   RangeString(d.Period),
		From:     d.Period.From.String(),
		To:       d.Period.To.String(),
		Timezone: oneLine(d.Timezone),
	}
	if d.Compare != nil {
		v.Compare = RangeString(*d.Compare)
	}
	var b strings.Builder
	if err := t.Execute(&capWriter{w: &b, limit: maxSubject}, v); err != nil {
		return "", subjectError(err)
	}
	return strings.Join(strings.Fields(oneLine(b.String())), " "), nil
}
