package main

import (
	"fmt"
	"io"
	"testing"

	"livechat-digest/digest"
	"livechat-digest/templates"
)

// benchRender is (e): the time to render one full digest (all 20 reports
// with comparison, from (a)) in each format, and as the email a job sends
// (text + HTML + the PNG chart).
func benchRender(w io.Writer, d *digest.Digest) error {
	r, err := templates.New("")
	if err != nil {
		return err
	}
	type row struct {
		name   string
		render func() ([]byte, error)
	}
	var rows []row
	for _, f := range templates.Formats {
		rows = append(rows, row{string(f), func() ([]byte, error) { return r.Render(d, f) }})
	}
	rows = append(rows, row{"email (text + html + PNG chart)", func() ([]byte, error) {
		e, err := r.Email(d, "")
		return append(append([]byte(e.Text), e.HTML...), e.Chart...), err
	}})
	fmt.Fprintln(w, "### (e) Render time per digest (one full digest; testing.Benchmark)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| format | time per digest | allocated per digest | output size |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	for _, rw := range rows {
		out, err := rw.render()
		if err != nil {
			return fmt.Errorf("render %s: %w", rw.name, err)
		}
		res := testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := rw.render(); err != nil {
					b.Fatal(err)
				}
			}
		})
		fmt.Fprintf(w, "| %s | %s | %.0f KiB | %.1f KiB |\n", rw.name, perOp(res.NsPerOp()), float64(res.AllocedBytesPerOp())/1024, float64(len(out))/1024)
	}
	return nil
}

func perOp(ns int64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", float64(ns)/1e6)
	default:
		return fmt.Sprintf("%.0f µs", float64(ns)/1e3)
	}
}
