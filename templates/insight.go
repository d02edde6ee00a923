package templates

import "livechat-digest/digest"

// mark is the word text output puts after a change that passed the
// significance tests; noise (and a change without a verdict) stays
// unmarked.
func mark(v digest.Verdict) string {
	switch v {
	case digest.VerdictBetter, digest.VerdictWorse:
		return string(v)
	case digest.VerdictNeutral:
		return "changed"
	}
	return ""
}

// hasVerdicts reports whether any metric of d has a verdict, so the legend
// can explain grey as noise.
func hasVerdicts(d *digest.Digest) bool {
	for _, v := range d.Metrics {
		if v.Verdict != "" {
			return true
		}
	}
	return false
}

// headlineLines are the headline's sentences, made single-line (a breakdown
// name in one comes from the config).
func headlineLines(d *digest.Digest) []string {
	var out []string
	for _, h := range d.Headline {
		out = append(out, oneLine(h.Sentence))
	}
	return out
}

// headlineBlock is the headline in Slack: rich text, since a breakdown name
// in a sentence comes from the config.
func headlineBlock(lines []string) block {
	items := make([][]richInline, len(lines))
	for i, l := range lines {
		items[i] = []richInline{txt(l)}
	}
	return richList("mag", "What changed", items)
}
