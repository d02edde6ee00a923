package templates

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	texttemplate "text/template"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// overrideDir writes files into a fresh templates directory.
func overrideDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600))
	}
	return dir
}

// newWithin runs New and fails the test if it does not return within a
// minute: a hang guard, not a timing assertion (before the limits, a
// range over 2,000,000,000 spun for minutes).
func newWithin(t *testing.T, dir string) (*Renderer, error) {
	t.Helper()
	type result struct {
		r   *Renderer
		err error
	}
	done := make(chan result, 1)
	go func() { r, err := New(dir); done <- result{r, err} }()
	select {
	case res := <-done:
		return res.r, res.err
	case <-time.After(time.Minute):
		t.Fatal("New did not return: the template runs without end")
		return nil, nil
	}
}

// Loops that the parsed tree shows would run too long (or without end) are
// rejected before anything runs, at their file and line.
func TestEndlessTemplatesAreRejectedAtTheirLine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, file, src string
		line            int
		msg             string
	}{
		{"range over a huge number", digestText, "ok\n{{range 2000000000}}{{end}}\n", 2, "runs about 2,000,000,000 times"},
		{"nested ranges multiply", digestHTML, "<p>\n{{range 5000}}\n{{range 5000}}{{end}}\n{{end}}</p>", 2, "runs about 25,005,000 times"},
		{"through a variable", alertText, "{{$n := 2000000000}}\n{{range $i := $n}}{{end}}", 2, "runs about"},
		{"through a range variable", alertText, "{{range $i := 100000}}{{range $i}}{{end}}{{end}}", 1, "runs about"},
		{"through a template call", digestText, "{{define \"inner\"}}{{range 100000}}{{end}}{{end}}\n\n{{range 100000}}{{template \"inner\"}}{{end}}", 3, "runs about"},
		{"ranges over data count", digestText, "{{range .Sections}}{{range $.Sections}}{{range $.Sections}}{{range $.Sections}}{{end}}{{end}}{{end}}{{end}}", 1, "a range over data counts as 50"},
		{"len of a long literal", digestText, "{{range len \"" + strings.Repeat("x", 5000) + "\"}}{{range 5000}}{{end}}{{end}}", 1, "runs about"},
		{"text written in a loop", digestText, "{{range 1000000}}" + strings.Repeat("x", 300) + "{{end}}", 1, "writes about 300,000,000 bytes"},
		// Dot and $ take the value of a with, a range or a template call.
		{"a number given to with", digestText, "{{with 2000000000}}\n{{range .}}{{end}}{{end}}", 2, "runs about 2,000,000,000 times"},
		{"a number given to a template", digestText, "{{define \"x\"}}{{range .}}{{end}}{{end}}\n{{template \"x\" 2000000000}}", 1, "runs about 2,000,000,000 times"},
		{"a template's $", alertText, "{{define \"x\"}}\n{{range $}}{{end}}{{end}}{{template \"x\" 2000000000}}", 2, "runs about 2,000,000,000 times"},
		{"a range's element", digestText, "{{range 19000}}{{range .}}{{end}}{{end}}", 1, "runs about 361,019,000 times"},
		// A number from the view can be large (.More of a hostile ranking,
		// the chart's 600 px, a column as wide as a 1e308 value): one range
		// over it may run alone, never inside another.
		{"view numbers nest", digestHTML, "{{with .Chart}}{{range .Width}}{{range $.Chart.Width}}{{end}}{{end}}{{end}}", 1, "runs about 1,000,001,000,000 times"},
		{"a view number inside data", digestText, "{{range .Rankings}}\n{{range .More}}{{end}}{{end}}", 1, "runs about"},
		{"a view number in a variable", digestText, "{{range .Sections}}{{$w := $.W.Current}}\n{{range $w}}x{{end}}{{end}}", 1, "runs about"},
		{"a view number as dot", digestText, "{{range .Rankings}}{{with .More}}{{range .}}{{end}}{{end}}{{end}}", 1, "runs about"},
		{"recursion", alertHTML, "{{define \"r\"}}{{template \"r\" .}}{{end}}\n{{template \"r\" .}}", 1, `template "r" calls itself`},
		{"mutual recursion", digestText, "{{define \"a\"}}{{template \"b\"}}{{end}}{{define \"b\"}}{{template \"a\"}}{{end}}\n{{template \"a\"}}", 1, "calls itself"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := overrideDir(t, map[string]string{tc.file: tc.src})
			_, err := newWithin(t, dir)
			var te *TemplateError
			require.True(t, errors.As(err, &te), "%v", err)
			assert.Equal(t, filepath.Join(dir, tc.file), te.File)
			assert.Equal(t, tc.line, te.Line, te.Msg)
			assert.Contains(t, te.Msg, tc.msg)
		})
	}
}

// What the limits allow still works: loops of sane size, ranges over data,
// the guarded built-ins.
func TestBoundedTemplatesAreAccepted(t *testing.T) {
	t.Parallel()
	dir := overrideDir(t, map[string]string{
		digestText: `{{range 3}}{{printf "%05d" 7}}{{end}}{{range .Sections}}{{range .Rows}}{{.Label}}{{end}}{{end}}` +
			`{{range .Rankings}}{{range .Rows}}{{padr 20 .Agent}}{{html .Agent}}{{js .Agent}}{{urlquery .Agent}}{{println .Rank}}{{end}}{{.More}}{{end}}` +
			`{{with .Chart}}{{range .Width}}{{end}}{{end}}{{with 4}}{{range .}}{{.}}{{end}}{{end}}`,
	})
	r, err := newWithin(t, dir)
	require.NoError(t, err)
	out, err := r.Render(fixture(), FormatText)
	require.NoError(t, err)
	assert.Contains(t, string(out), "000070000700007")
}

// What only running shows is stopped while running, with the file (and,
// for a function, the line).
func TestTemplateFunctionsAndOutputAreCapped(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, src, msg string
		line           int
	}{
		{"padding", "\n{{padr 2000000000 \"x\"}}", "width 2000000000 is over 1000", 2},
		{"printf width", "{{printf \"%0300000000d\" 0}}", "width or precision 300000000 is over 1000", 1},
		{"printf star width", "{{printf \"%*d\" 300000000 0}}", "* widths", 1},
		{"strings doubling in variables", `{{$a := printf "%01000d" 0}}{{$b := print $a $a $a $a $a $a $a $a $a $a}}` +
			`{{$c := print $b $b $b $b $b $b $b $b $b $b}}{{$d := print $c $c $c $c $c $c $c $c $c $c}}{{$e := print $d $d}}`, "more than 1 MiB", 1},
		{"html of html", `{{$a := repeat 1000 "<"}}{{$b := print $a $a $a $a $a $a $a $a $a $a}}{{$c := print $b $b $b $b $b $b $b $b $b $b}}` +
			`{{html (html (html $c))}}`, "more than 1 MiB", 1},
		// 300 MB of output in 300,000 iterations: no single range writes
		// text the tree can count, so the writer stops it at 4 MiB.
		{"300 MB of output", `{{range 1000}}{{range 300}}{{printf "%01000d" 0}}{{end}}{{end}}`, "output too large: more than 4 MiB", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := overrideDir(t, map[string]string{digestText: tc.src})
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := newWithin(t, dir)
			runtime.ReadMemStats(&after)
			var te *TemplateError
			require.True(t, errors.As(err, &te), "%v", err)
			assert.Equal(t, filepath.Join(dir, digestText), te.File)
			assert.Equal(t, tc.line, te.Line, te.Msg)
			assert.Contains(t, te.Msg, tc.msg)
			t.Logf("allocated %.1f MiB", float64(after.TotalAlloc-before.TotalAlloc)/(1<<20))
			// Other tests allocate meanwhile; the point is "not hundreds
			// of MiB", which every case here would take unbounded.
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(128<<20), "bytes allocated")
		})
	}
}

// A template that passes the trial on the small sample but writes too much
// on real data fails that render with an error naming the file; memory
// stays bounded.
func TestRenderOutputIsCapped(t *testing.T) {
	t.Parallel()
	dir := overrideDir(t, map[string]string{
		digestText: `{{range .Rankings}}{{range .Rows}}{{range 300}}{{printf "%0999d" 0}}{{end}}{{end}}{{end}}`,
	})
	r, err := newWithin(t, dir)
	require.NoError(t, err, "the sample's one ranking row writes 300 KB")
	d := fixture()
	for range 5 {
		d.Rankings.Chats = append(d.Rankings.Chats, d.Rankings.Chats...)
	}
	_, err = r.Render(d, FormatText)
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(dir, digestText))
	assert.Contains(t, err.Error(), "output too large")
}

// A subject is held to the same limits, with the error at the subject's
// line of its template (validate maps it to the config line).
func TestSubjectLimits(t *testing.T) {
	t.Parallel()
	d := fixture()
	for _, tc := range []struct{ src, msg string }{
		{"{{.Job}}\n{{range 2000000000}}{{end}}", "subject:2: this range runs about 2,000,000,000 times"},
		{"{{.Job}}{{with 2000000000}}\n{{range .}}{{end}}{{end}}", "subject:2: this range runs about 2,000,000,000 times"},
		{`{{define "s"}}{{template "s"}}{{end}}{{template "s"}}`, "calls itself"},
		{`{{range 100}}{{printf "%0999d" 0}}{{end}}`, "output too large: more than 2 KiB"},
		{`{{printf "%0300000000d" 0}}`, "is over 1000"},
	} {
		done := make(chan error, 1)
		go func() { _, err := Subject(d, tc.src); done <- err }()
		var err error
		select {
		case err = <-done:
		case <-time.After(time.Minute): // hang guard
			t.Fatalf("%q: Subject did not return", tc.src)
		}
		var se *SubjectError
		require.True(t, errors.As(err, &se), "%q: %v", tc.src, err)
		assert.Contains(t, se.Msg, tc.msg, tc.src)
	}
	s, err := Subject(d, `{{.Job}} {{printf "%s" .Period}}`)
	require.NoError(t, err)
	assert.Contains(t, s, d.Job)
}

func TestTemplateFileSizeIsBounded(t *testing.T) {
	t.Parallel()
	dir := overrideDir(t, map[string]string{alertText: strings.Repeat("x", maxTemplateFile+1)})
	_, err := New(dir)
	var te *TemplateError
	require.True(t, errors.As(err, &te), "%v", err)
	assert.Contains(t, te.Msg, "larger than 1 MiB")
}

func TestCheckFormat(t *testing.T) {
	t.Parallel()
	for format, ok := range map[string]bool{
		"%d": true, "%05.2f": true, "%-1000s": true, "100%%": true, "%[1]d": true, "%+v": true,
		"%1001d": false, "%.5000f": false, "%*d": false, "%.*f": false, "%99999999999999999999d": false,
	} {
		assert.Equal(t, ok, checkFormat(format) == nil, format)
	}
}

// The names the check takes for numbers of the views are never the names
// of lists, which it counts as dataRange: a list would be refused wrongly.
func TestViewNumbersAreNotLists(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"More", "Rank", "Width", "Dir", "Label", "Current", "Previous", "Change", "Agent", "Name", "Values"} {
		assert.True(t, viewNumbers[name], "%s is a number of a view", name)
	}
	lists := map[string]bool{}
	var walk func(t reflect.Type)
	seen := map[reflect.Type]bool{}
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for i := range t.NumField() {
			f := t.Field(i)
			ft := f.Type
			if ft.Kind() == reflect.Slice || ft.Kind() == reflect.Map || ft.Kind() == reflect.Array {
				lists[f.Name] = true
				ft = ft.Elem()
			}
			walk(ft)
		}
	}
	for _, v := range []any{digestView{}, alertView{}, groupView{}, subjectView{}} {
		walk(reflect.TypeOf(v))
	}
	require.Contains(t, lists, "Rows")
	for name := range lists {
		assert.False(t, viewNumbers[name], "%s is a list in one view and a number in another", name)
	}
}

// What the tree check estimates a template runs, case by case.
func TestTreeCostEstimates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		src         string
		iter, bytes float64
	}{
		{`{{range 7}}{{end}}`, 7, 0},
		{`{{range 7}}{{range 3}}{{end}}{{end}}`, 28, 0},
		{`{{range 5}}{{end}}{{range 4}}{{end}}`, 9, 0},
		{`{{range 10}}abc{{end}}`, 10, 30},
		{`{{range .Sections}}{{end}}`, dataRange, 0},
		{`{{range $}}{{end}}`, dataRange, 0},
		{`{{range $.Sections}}{{end}}`, dataRange, 0},
		{`{{range index .Sections 3}}{{end}}`, dataRange, 0},
		{`{{range index 30 .Sections}}{{end}}`, dataRange, 0},
		{`{{range slice 300 1}}{{end}}`, 300, 0},
		{`{{range and 0 90}}{{end}}`, 90, 0},
		{`{{range len "abcd"}}{{end}}`, 4, 0},
		{`{{range len .Job}}{{end}}`, dataRange, 0},
		{`{{range len}}{{end}}`, dataRange, 0},
		{`{{range -5}}{{end}}`, 0, 0},
		{`{{range 1.5}}{{end}}`, 0, 0},
		{`{{range 0x10}}{{end}}`, 16, 0},
		{`{{range (3)}}{{end}}`, 3, 0},
		{`{{range (print 3 | printf "%v")}}{{end}}`, 0, 0},
		{`{{range "abc"}}{{end}}`, 0, 0},
		{`{{range true}}{{end}}`, 0, 0},
		{`{{range nil}}{{end}}`, 0, 0},
		{`{{range printf "x"}}{{end}}`, 0, 0},
		{`{{if .Job}}{{range 5}}{{end}}{{else}}{{range 8}}{{end}}{{end}}`, 8, 0},
		{`{{with .Job}}{{range 5}}{{end}}{{else}}{{range 2}}{{end}}{{end}}`, 5, 0},
		{`{{with $n := 40}}{{range $n}}{{end}}{{end}}`, 40, 0},
		{`{{$n := 40}}{{$n = 60}}{{range $n}}{{end}}`, 60, 0},
		{`{{$n := .Sections}}{{range $n}}{{end}}`, dataRange, 0},
		{`{{range $i, $e := 30}}{{range $i}}{{end}}{{end}}`, 30 * 31, 0},
		{`{{range 3}}{{break}}{{continue}}{{end}}`, 3, 0},
		{`{{range 4}}x{{else}}yy{{end}}`, 4, 4 + 2},
		{`{{define "t"}}{{range 6}}{{end}}{{end}}{{range 2}}{{template "t"}}{{end}}`, 14, 0},
		{`{{block "b" .}}{{range 9}}{{end}}{{end}}`, 9, 0},
		{`{{template "undefined"}}`, 0, 0},
		{`{{with 40}}{{range .}}{{end}}{{end}}`, 40, 0},
		{`{{with 40}}{{else}}{{range .}}{{end}}{{end}}`, dataRange, 0},
		{`{{if 40}}{{range .}}{{end}}{{end}}`, dataRange, 0},
		{`{{range 30}}{{range .}}{{end}}{{end}}`, 30 * 31, 0},
		{`{{range .Sections}}{{range .}}{{end}}{{end}}`, dataRange * (1 + dataRange), 0},
		{`{{define "t"}}{{range .}}{{end}}{{end}}{{template "t" 7}}{{template "t" 9}}`, 16, 0},
		{`{{define "t"}}{{range $}}{{end}}{{end}}{{template "t" 8}}`, 8, 0},
		{`{{define "t"}}{{range .}}{{end}}{{end}}{{template "t"}}`, 0, 0},
		{`{{define "t"}}{{range .}}{{end}}{{end}}{{template "t" .Sections}}`, dataRange, 0},
		{`{{range .More}}{{end}}`, viewNumber, 0},
		{`{{range $.Chart.Width}}{{end}}`, viewNumber, 0},
		{`{{range (.Chart).Width}}{{end}}`, viewNumber, 0},
		{`{{range (.Chart)}}{{end}}`, dataRange, 0},
		{`{{$w := .W}}{{range $w.Label}}{{end}}`, viewNumber, 0},
		{`{{range .Job}}{{end}}`, dataRange, 0},
		{`{{/* a comment */}}{{.Job}}`, 0, 0},
	} {
		tt, err := texttemplate.New("t0").Funcs(textFuncs).Parse(tc.src)
		require.NoError(t, err, tc.src)
		c := newTreeCheck(textTrees(tt))
		k, err := c.template("t0")
		require.NoError(t, err, tc.src)
		assert.Equal(t, tc.iter, k.iter, "iterations of %s", tc.src)
		assert.Equal(t, tc.bytes, k.bytes, "bytes of %s", tc.src)
	}
	// A string made by a function can be up to maxValue long: its len is
	// over the limit on its own.
	tt, err := texttemplate.New("t0").Funcs(textFuncs).Parse(`{{range len (printf "%d" 1)}}{{end}}`)
	require.NoError(t, err)
	err = checkTrees(textTrees(tt))
	var te *treeError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 1, te.line)
	assert.Equal(t, "line 1: "+te.msg, te.Error())
	assert.Equal(t, "1,048,576", approx(maxValue))
	assert.Equal(t, "2.5e+15", approx(2.5e15))
	assert.Equal(t, "123 bytes", sizeString(123))
	assert.Equal(t, "2 KiB", sizeString(2048))
	for _, n := range []int{0, 1, 2000} {
		s, err := padLeft(n, "ab")
		if n > maxPad {
			assert.Error(t, err)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, max(n, 2), runes(s))
		assert.True(t, strings.HasSuffix(s, "ab"))
	}
}
