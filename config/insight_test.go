package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"livechat-digest/digest"
)

func TestInsight(t *testing.T) {
	t.Parallel()
	c, err := Parse("c.yaml", []byte(head+job+"    insight: {headline: 5, min_change: 0, min_count: 0, fdr: 0.01, mean_cv: 0.5}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(digest.Insight{Headline: 5, FDR: 0.01, MeanCV: 0.5}, c.Jobs[0].Insight); diff != "" {
		t.Errorf("insight (-want +got):\n%s", diff)
	}
	c, err = Parse("c.yaml", []byte(head+job+"    insight: {headline: 0}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := digest.DefaultInsight()
	want.Headline = 0
	if diff := cmp.Diff(want, c.Jobs[0].Insight); diff != "" {
		t.Errorf("insight (-want +got):\n%s", diff)
	}
	for _, src := range []string{head + job, head + job + "    insight:\n"} {
		c, err = Parse("c.yaml", []byte(src), nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(digest.DefaultInsight(), c.Jobs[0].Insight); diff != "" {
			t.Errorf("default insight (-want +got):\n%s", diff)
		}
	}
}

func TestInsightErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"headline negative", "    insight: {headline: -1}\n", []string{"c.yaml:10: jobs[0].insight.headline: -1 is out of range (0 to 20)"}},
		{"headline too long", "    insight: {headline: 21}\n", []string{"c.yaml:10: jobs[0].insight.headline: 21 is out of range (0 to 20)"}},
		{"min_change negative", "    insight: {min_change: -5}\n", []string{"c.yaml:10: jobs[0].insight.min_change: -5 is out of range (from 0 to 1000)"}},
		{"min_change not a number", "    insight: {min_change: 5%}\n", []string{"c.yaml:10: jobs[0].insight.min_change: expected a number, got \"5%\""}},
		{"min_count negative", "    insight: {min_count: -1}\n", []string{"c.yaml:10: jobs[0].insight.min_count: -1 is out of range (from 0 to 1e+09)"}},
		{"fdr zero", "    insight: {fdr: 0}\n", []string{"c.yaml:10: jobs[0].insight.fdr: 0 is out of range (above 0 below 1)"}},
		{"fdr one", "    insight: {fdr: 1}\n", []string{"c.yaml:10: jobs[0].insight.fdr: 1 is out of range (above 0 below 1)"}},
		{"fdr as percent", "    insight: {fdr: 5}\n", []string{"c.yaml:10: jobs[0].insight.fdr: 5 is out of range (above 0 below 1)"}},
		{"mean_cv zero", "    insight: {mean_cv: 0}\n", []string{"c.yaml:10: jobs[0].insight.mean_cv: 0 is out of range (above 0 to 100)"}},
		{"unknown key", "    insight: {top: 3}\n", []string{"c.yaml:10: unknown key \"top\" in jobs[0].insight (allowed: headline, min_change, min_count, fdr, mean_cv)"}},
		{"several at once", "    insight:\n      fdr: 2\n      mean_cv: -1\n", []string{
			"c.yaml:11: jobs[0].insight.fdr: 2 is out of range (above 0 below 1)",
			"c.yaml:12: jobs[0].insight.mean_cv: -1 is out of range (above 0 to 100)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, problems(t, head+job+tt.src, nil)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInterval(t *testing.T) {
	t.Parallel()
	closed := interval{0, 1, false, false}
	open := interval{0, 1, true, true}
	for _, f := range []float64{0, 0.5, 1} {
		if !closed.contains(f) {
			t.Errorf("%v not in %v", f, closed)
		}
	}
	for _, f := range []float64{-0.1, 1.1} {
		if closed.contains(f) {
			t.Errorf("%v in %v", f, closed)
		}
	}
	for _, f := range []float64{0, 1, -1, 2} {
		if open.contains(f) {
			t.Errorf("%v in %v", f, open)
		}
	}
	if !open.contains(0.5) {
		t.Errorf("0.5 not in %v", open)
	}
}
