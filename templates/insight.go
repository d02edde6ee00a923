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
