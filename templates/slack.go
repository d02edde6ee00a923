package templates

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"livechat-digest/digest"
)

// Slack is a message in Block Kit: Text is the plain fallback shown in
// notifications, Blocks the JSON array of blocks. Both go to chat.postMessage
// (or a response_url) as they are.
type Slack struct {
	Text   string
	Blocks json.RawMessage
}

// Block Kit limits Slack enforces (not the library).
const (
	maxBlocks      = 50
	maxFields      = 10
	maxFieldText   = 2000
	maxSectionText = 3000
	maxHeaderText  = 150
	maxContextElts = 10
	maxListLines   = 15  // ranking and breach lines shown before "…and N more"
	maxListLine    = 300 // runes of one such line
)

// Block Kit values, built as Go values so limits can be counted and JSON
// encoding does the quoting.
type textObj struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji *bool  `json:"emoji,omitempty"` // plain_text only
}

// block is a Block Kit block. Elements are textObj values in a context
// block and richPart values in a rich_text block (see richtext.go).
type block struct {
	Type     string    `json:"type"`
	Text     *textObj  `json:"text,omitempty"`
	Fields   []textObj `json:"fields,omitempty"`
	Elements []any     `json:"elements,omitempty"`
}

func mrkdwn(s string) textObj { return textObj{Type: "mrkdwn", Text: s} }
func plain(s string) textObj  { return textObj{Type: "plain_text", Text: s} }

// header shows s, which carries the job name, as data.
func header(s string) block {
	t := plainData(truncate(s, maxHeaderText))
	return block{Type: "header", Text: &t}
}

func section(text textObj, fields []textObj) block {
	b := block{Type: "section", Fields: fields}
	if text.Text != "" {
		b.Text = &text
	}
	return b
}

func context(elts ...textObj) block {
	b := block{Type: "context"}
	for _, e := range elts {
		b.Elements = append(b.Elements, e)
	}
	return b
}

func divider() block { return block{Type: "divider"} }

// newSlack encodes blocks, cutting them to Slack's 50 and saying how many
// were left out.
func newSlack(text string, blocks []block) (Slack, error) {
	if len(blocks) > maxBlocks {
		n := len(blocks) - (maxBlocks - 1)
		blocks = append(blocks[:maxBlocks-1:maxBlocks-1],
			context(mrkdwn(fmt.Sprintf("…and %d more blocks not shown; see the email or `--format text`", n))))
	}
	b, err := encode(blocks, false)
	if err != nil {
		return Slack{}, fmt.Errorf("templates: slack blocks: %w", err)
	}
	return Slack{Text: text, Blocks: b}, nil
}

// encode marshals v without turning <, > and & into \u escapes: the text is
// already escaped for Slack, and the golden files stay readable.
func encode(v any, indent bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	if !indent {
		return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
	}
	return buf.Bytes(), nil
}

// marshalSlack is the slack format of Render: {"text": ..., "blocks": [...]}.
func marshalSlack(s Slack) ([]byte, error) {
	b, err := encode(struct {
		Text   string          `json:"text"`
		Blocks json.RawMessage `json:"blocks"`
	}{s.Text, s.Blocks}, true)
	if err != nil {
		return nil, fmt.Errorf("templates: slack message: %w", err)
	}
	return b, nil
}

// plainFallback escapes the three characters Slack asks every text field to
// escape; the fallback is shown as it is otherwise.
func plainFallback(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Slack renders d as a Block Kit message: a header, a context line with
// period, compare and filters, breaches and failed reports first (so a cut
// never hides them), then one section of fields per report, then rankings.
func (r *Renderer) Slack(d *digest.Digest) (Slack, error) {
	if d == nil {
		return Slack{}, fmt.Errorf("templates: nil digest")
	}
	v := newDigestView(d)

	blocks := []block{header(v.Title)}
	// The zone and the filters come from the config: plain text.
	ctx := []string{}
	if v.Compare != "" {
		ctx = append(ctx, "Compared with "+v.Compare)
	} else {
		ctx = append(ctx, "No comparison")
	}
	if v.Timezone != "" {
		ctx = append(ctx, "Timezone "+v.Timezone)
	}
	if v.Filters != "" {
		ctx = append(ctx, "Filters: "+v.Filters)
	}
	blocks = append(blocks, context(plainData(truncate(strings.Join(ctx, " · "), maxSectionText))))
	if len(v.Headline) > 0 {
		blocks = append(blocks, headlineBlock(v.Headline))
	}
	blocks = append(blocks, breakdownBlocks(v.Breakdown)...)

	if len(v.Breaches) > 0 {
		lines := make([][]richInline, len(v.Breaches))
		for i, b := range v.Breaches {
			lines[i] = []richInline{txt(b.String())}
		}
		blocks = append(blocks, richList("rotating_light", "Thresholds breached", lines))
	}
	if len(v.Errors) > 0 {
		lines := make([][]richInline, len(v.Errors))
		for i, e := range v.Errors {
			lines[i] = []richInline{bold(e.Report), txt(": " + e.Error)}
		}
		blocks = append(blocks, richList("warning", "Reports that failed", lines))
	}
	if len(v.Warnings) > 0 {
		lines := make([][]richInline, len(v.Warnings))
		for i, e := range v.Warnings {
			lines[i] = []richInline{bold(e.Report), txt(": " + e.Error)}
		}
		blocks = append(blocks, richList("warning", "Reports that may be incomplete", lines))
	}
	blocks = append(blocks, divider())

	for _, s := range v.Sections {
		fields := make([]textObj, 0, len(s.Rows))
		for _, row := range s.Rows {
			// Labels are the catalogue's; a key it does not know is
			// shown as plain text below.
			f := "*" + row.Label + "*\n" + row.Current
			if v.Compare != "" {
				if row.Delta != null {
					f += "  " + row.Delta
				}
				// Slack cannot colour text; a dot says what the HTML's colours say.
				switch {
				case row.Dir > 0:
					f += " :large_green_circle:"
				case row.Dir < 0:
					f += " :red_circle:"
				}
				f += "\n_previous " + row.Previous + "_"
			}
			if !mrkdwnSafe(row.Label) {
				fields = append(fields, plainData(truncate(strings.NewReplacer("*", "", "_", "").Replace(f), maxFieldText)))
				continue
			}
			fields = append(fields, mrkdwn(truncate(f, maxFieldText)))
		}
		for i := 0; i < len(fields); i += maxFields {
			text := textObj{}
			if i == 0 {
				// NotFiltered is made of fixed words: safe in mrkdwn.
				note := ""
				if s.NotFiltered != "" {
					note = " _(" + s.NotFiltered + ")_"
				}
				text = mrkdwn("*" + s.Title + "*" + note)
				if !mrkdwnSafe(s.Title) {
					text = plainData(strings.TrimSpace(s.Title + " " + strings.Trim(note, " _")))
				}
			}
			blocks = append(blocks, section(text, fields[i:min(i+maxFields, len(fields))]))
		}
	}
	if len(v.Sections) == 0 && len(v.Rankings) == 0 {
		blocks = append(blocks, section(mrkdwn("No metrics."), nil))
	}

	// Agent names are LiveChat's: rich text, never mrkdwn.
	for _, rk := range v.Rankings {
		lines := make([][]richInline, len(rk.Rows))
		for i, e := range rk.Rows {
			lines[i] = []richInline{txt(fmt.Sprintf("%d. ", e.Rank)), bold(e.Agent),
				txt(fmt.Sprintf(" — %s good · %s bad · score %s", e.Good, e.Bad, e.Score))}
		}
		title := rk.Title
		if rk.NotFiltered != "" {
			title += " (" + rk.NotFiltered + ")"
		}
		blocks = append(blocks, richListMore("trophy", title, lines, rk.More))
	}

	fallback := v.Title
	if v.Compare != "" {
		fallback += " (compared with " + v.Compare + ")"
	}
	if n := len(v.Breaches); n > 0 {
		fallback += fmt.Sprintf(" — %d %s breached", n, plural(n, "threshold", "thresholds"))
	}
	if n := len(v.Errors); n > 0 {
		fallback += fmt.Sprintf(" — %d %s failed", n, plural(n, "report", "reports"))
	}
	return newSlack(plainFallback(fallback), blocks)
}

// list joins a heading and lines into one mrkdwn text within Slack's limit,
// ending in "…and N more" when lines had to be left out.
func list(heading string, lines []string) string {
	var b strings.Builder
	b.WriteString(heading)
	for i, l := range lines {
		l = truncate(l, maxListLine)
		more := len(lines) - i
		note := fmt.Sprintf("\n…and %d more", more)
		if i == maxListLines || runes(b.String())+1+runes(l)+runes(note) > maxSectionText {
			b.WriteString(note)
			break
		}
		b.WriteString("\n")
		b.WriteString(l)
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
