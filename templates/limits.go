package templates

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	texttemplate "text/template"
	tparse "text/template/parse"
)

// Bounds on what a template may do. Replacement templates and subjects are
// the operator's code, run at every firing: a loop that never ends or a
// body of gigabytes must fail at start-up (or at worst at one render), not
// hang the scheduler or exhaust memory.
//
// A Go template cannot be interrupted while it runs: a timed-out goroutine
// would keep spinning. So what can be seen in the parsed tree is bounded
// before anything runs (checkTrees), and what only data decides is bounded
// by the data: every list a template sees is capped (maxRankRows) and every
// string clipped (maxNameRunes), and the functions and the output are
// capped while it runs.
const (
	// maxIterations bounds the range iterations a template can run as far
	// as its tree shows: nested ranges multiply, sibling ranges add, and a
	// template call counts what the called template runs.
	maxIterations = 1_000_000
	// dataRange is what a range over a list from the view counts as in
	// maxIterations: the most rows a list holds.
	dataRange = maxRankRows
	// viewNumber is what a range over a number from the view counts as:
	// the most such a number can be. .More (rows left out of a ranking of
	// hostile size) is bounded only by the 8 MiB answer cap, so this is
	// maxIterations: such a range may run alone, never inside another.
	viewNumber = maxIterations
	// maxOutput bounds the bytes one execution writes; the writer fails
	// beyond it, which stops the execution.
	maxOutput = 4 << 20
	// maxSubject bounds a rendered subject line.
	maxSubject = 2 << 10
	// maxValue bounds one string a template function makes (print, printf,
	// html, …), so values cannot double in size from variable to variable
	// without ever being written.
	maxValue = 1 << 20
	// maxPad bounds a padding or repetition count, and a width or precision
	// in a printf format.
	maxPad = 1000
	// maxTemplateFile bounds a replacement template file.
	maxTemplateFile = 1 << 20
	// maxRankRows bounds the rows of a ranking shown in text and HTML;
	// "…and N more" stands for the rest. The digest JSON keeps them all.
	maxRankRows = 50
	// maxNameRunes bounds an agent name, tag or other upstream string in a
	// rendered message; a longer one ends in "…".
	maxNameRunes = 64
	// maxErrorRunes bounds an error text in a rendered message.
	maxErrorRunes = 300
)

// errOutputTooLarge is returned by capWriter past its limit.
var errOutputTooLarge = errors.New("output too large")

// capWriter passes at most limit bytes to w and fails beyond that, so that
// execution stops at the first write past the limit.
type capWriter struct {
	w     io.Writer
	n     int
	limit int
}

func (c *capWriter) Write(p []byte) (int, error) {
	if c.n+len(p) > c.limit {
		return 0, fmt.Errorf("%w: more than %s", errOutputTooLarge, sizeString(c.limit))
	}
	c.n += len(p)
	return c.w.Write(p)
}

// sizeString says a byte count the way limits are documented: "4 MiB".
func sizeString(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + " KiB"
	}
	return strconv.Itoa(n) + " bytes"
}

// treeError is a problem found in a parsed tree, at a line of its source.
type treeError struct {
	line int
	msg  string
}

func (e *treeError) Error() string { return "line " + strconv.Itoa(e.line) + ": " + e.msg }

// checkTrees rejects what the templates of one file would do without end:
// a template that calls itself, directly or through others, and ranges
// that would run more than maxIterations times, or write more than
// maxOutput bytes of their own text. trees are the file's templates by
// name (the file's own and those it defines).
func checkTrees(trees map[string]*tparse.Tree) error {
	c := newTreeCheck(trees)
	names := make([]string, 0, len(trees))
	for name := range trees {
		names = append(names, name)
	}
	// Any order finds the same problems; sorted, the first one reported
	// does not change from run to run.
	slices.Sort(names)
	for _, name := range names {
		if _, err := c.template(name); err != nil {
			return err
		}
	}
	return nil
}

// cost is what running a node costs at most, as far as the tree shows.
type cost struct {
	iter  float64 // range iterations
	bytes float64 // bytes of template text written
}

func (a cost) plus(b cost) cost { return cost{a.iter + b.iter, a.bytes + b.bytes} }

func (a cost) max(b cost) cost { return cost{math.Max(a.iter, b.iter), math.Max(a.bytes, b.bytes)} }

type treeCheck struct {
	trees  map[string]*tparse.Tree
	memo   map[memoKey]cost
	active map[string]bool // templates on the current call path
	path   []string
	// vars holds, per variable name, the largest count a range over it
	// could see: the largest bound of any value assigned to that name.
	vars map[string]float64
	// dot and root are the largest count a range over dot and over $
	// could see where the walk is: {{with}}, {{range}} and a template
	// call give dot a new value ({{with 2000000000}}{{range .}} is a
	// range over that number), and a called template's $ is its argument.
	dot, root float64
	tree      *tparse.Tree // the tree being walked, for line numbers
}

// memoKey is a template as called: what it runs depends on its argument.
type memoKey struct {
	name string
	dot  float64
}

func newTreeCheck(trees map[string]*tparse.Tree) *treeCheck {
	// The view a template is executed on is data: a range over it, or
	// over a list in it, counts as dataRange.
	return &treeCheck{trees: trees, memo: map[memoKey]cost{}, active: map[string]bool{}, vars: map[string]float64{},
		dot: dataRange, root: dataRange}
}

func (c *treeCheck) template(name string) (cost, error) {
	key := memoKey{name, c.dot}
	if k, ok := c.memo[key]; ok {
		return k, nil
	}
	t := c.trees[name]
	if t == nil || t.Root == nil {
		return cost{}, nil // a call of an undefined template fails when run, with its own error
	}
	if c.active[name] {
		return cost{}, &treeError{line: 0, msg: fmt.Sprintf("template %q calls itself (%s): recursion is not allowed, since it could run without end",
			name, strings.Join(append(c.path, name), " → "))}
	}
	c.active[name] = true
	c.path = append(c.path, name)
	outer, outerRoot := c.tree, c.root
	c.tree, c.root = t, c.dot
	k, err := c.list(t.Root)
	c.tree, c.root = outer, outerRoot
	c.path = c.path[:len(c.path)-1]
	delete(c.active, name)
	if err != nil {
		return cost{}, err
	}
	c.memo[key] = k
	return k, nil
}

// withDot walks l with dot bounded by d.
func (c *treeCheck) withDot(d float64, l *tparse.ListNode) (cost, error) {
	outer := c.dot
	c.dot = d
	k, err := c.list(l)
	c.dot = outer
	return k, err
}

func (c *treeCheck) line(n tparse.Node) int {
	loc, _ := c.tree.ErrorContext(n)
	// loc is "name:LINE:COL".
	parts := strings.Split(loc, ":")
	if len(parts) >= 3 {
		if l, err := strconv.Atoi(parts[len(parts)-2]); err == nil {
			return l
		}
	}
	return 0
}

func (c *treeCheck) list(l *tparse.ListNode) (cost, error) {
	var total cost
	if l == nil {
		return total, nil
	}
	for _, n := range l.Nodes {
		k, err := c.node(n)
		if err != nil {
			return cost{}, err
		}
		total = total.plus(k)
	}
	return total, nil
}

func (c *treeCheck) node(n tparse.Node) (cost, error) {
	switch n := n.(type) {
	case *tparse.TextNode:
		return cost{bytes: float64(len(n.Text))}, nil
	case *tparse.ActionNode:
		c.assign(n.Pipe, nil)
		return cost{}, nil
	case *tparse.IfNode:
		return c.branch(&n.BranchNode, c.dot)
	case *tparse.WithNode:
		return c.branch(&n.BranchNode, c.bound(n.Pipe))
	case *tparse.RangeNode:
		count := c.bound(n.Pipe)
		c.assign(n.Pipe, &count)
		// Dot is each element: below count for a number, data for a list.
		body, err := c.withDot(count, n.List)
		if err != nil {
			return cost{}, err
		}
		els, err := c.list(n.ElseList)
		if err != nil {
			return cost{}, err
		}
		k := cost{iter: count * (1 + body.iter), bytes: count * body.bytes}
		if k.iter > maxIterations {
			return cost{}, &treeError{line: c.line(n), msg: fmt.Sprintf("this range runs about %s times with the ranges inside it; "+
				"at most %s are allowed (a range over data counts as %d)", approx(k.iter), approx(maxIterations), dataRange)}
		}
		if k.bytes > maxOutput {
			return cost{}, &treeError{line: c.line(n), msg: fmt.Sprintf("this range writes about %s bytes of text; at most %s are allowed",
				approx(k.bytes), sizeString(maxOutput))}
		}
		return k.plus(els), nil
	case *tparse.TemplateNode:
		c.assign(n.Pipe, nil)
		outer := c.dot
		c.dot = c.bound(n.Pipe) // the called template's dot and $
		k, err := c.template(n.Name)
		c.dot = outer
		if err != nil {
			var te *treeError
			if errors.As(err, &te) && te.line == 0 {
				te.line = c.line(n)
			}
			return cost{}, err
		}
		return k, nil
	}
	return cost{}, nil
}

// branch walks an {{if}} or {{with}}: its list with dot bounded by dot
// (a with's value), its else with dot as it is.
func (c *treeCheck) branch(b *tparse.BranchNode, dot float64) (cost, error) {
	c.assign(b.Pipe, nil)
	then, err := c.withDot(dot, b.List)
	if err != nil {
		return cost{}, err
	}
	els, err := c.list(b.ElseList)
	if err != nil {
		return cost{}, err
	}
	return then.max(els), nil
}

// assign records the variables p declares or assigns. For a range, each
// variable (index or element) is bounded by the range's count.
func (c *treeCheck) assign(p *tparse.PipeNode, rangeCount *float64) {
	if p == nil {
		return
	}
	v := 0.0
	if rangeCount != nil {
		v = *rangeCount
	} else {
		v = c.bound(p)
	}
	for _, d := range p.Decl {
		if len(d.Ident) > 0 {
			c.vars[d.Ident[0]] = math.Max(c.vars[d.Ident[0]], v)
		}
	}
}

// bound is the most times a range over p's value could run.
func (c *treeCheck) bound(p *tparse.PipeNode) float64 {
	if p == nil || len(p.Cmds) == 0 {
		return 0 // {{template "x"}} passes nil
	}
	return c.cmdBound(p.Cmds[len(p.Cmds)-1])
}

func (c *treeCheck) cmdBound(cmd *tparse.CommandNode) float64 {
	if len(cmd.Args) == 0 {
		return 0
	}
	if id, ok := cmd.Args[0].(*tparse.IdentifierNode); ok {
		switch id.Ident {
		case "len":
			if len(cmd.Args) == 2 {
				if s, ok := cmd.Args[1].(*tparse.StringNode); ok {
					return float64(len(s.Text))
				}
				if c.makesString(cmd.Args[1]) {
					return maxValue
				}
			}
			return dataRange
		case "index", "slice", "and", "or", "call":
			// They return one of their arguments or a part of one.
			b := 0.0
			for _, a := range cmd.Args[1:] {
				b = math.Max(b, c.argBound(a))
			}
			return b
		}
		return 0 // the other functions return strings or booleans
	}
	if len(cmd.Args) == 1 {
		return c.argBound(cmd.Args[0])
	}
	return dataRange
}

func (c *treeCheck) argBound(n tparse.Node) float64 {
	switch n := n.(type) {
	case *tparse.NumberNode:
		switch {
		case n.IsInt:
			return math.Max(0, float64(n.Int64))
		case n.IsUint:
			return float64(n.Uint64)
		}
		return 0 // a float cannot be ranged over
	case *tparse.PipeNode:
		return c.bound(n)
	case *tparse.VariableNode:
		switch {
		case len(n.Ident) > 1:
			return fieldBound(n.Ident[len(n.Ident)-1])
		case n.Ident[0] == "$":
			return c.root
		}
		if v, ok := c.vars[n.Ident[0]]; ok {
			return v
		}
		return dataRange
	case *tparse.DotNode:
		return c.dot
	case *tparse.FieldNode:
		return fieldBound(n.Ident[len(n.Ident)-1])
	case *tparse.ChainNode:
		if len(n.Field) > 0 {
			return fieldBound(n.Field[len(n.Field)-1])
		}
		return c.argBound(n.Node)
	case *tparse.StringNode, *tparse.BoolNode, *tparse.NilNode:
		return 0
	}
	return dataRange
}

// fieldBound is what a range over a field of the view named name counts
// as: viewNumber when a view has a number of that name (a range over a
// string of the same name fails when run), else dataRange, a list.
func fieldBound(name string) float64 {
	if viewNumbers[name] {
		return viewNumber
	}
	return dataRange
}

// viewNumbers are the names of the numbers the views show templates (.More,
// .Rank, .Width, the column widths .W.Label …), found by reflection so a
// number added to a view is counted without anyone remembering to.
var viewNumbers = numberFields(digestView{}, alertView{}, groupView{}, subjectView{})

// numberFields returns the names of the integer fields and of the methods
// returning one integer, of the given values' types and of every type they
// hold.
func numberFields(views ...any) map[string]bool {
	out := map[string]bool{}
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if seen[t] {
			return
		}
		seen[t] = true
		for _, pt := range []reflect.Type{t, reflect.PointerTo(t)} {
			for i := range pt.NumMethod() {
				m := pt.Method(i)
				if m.Type.NumOut() == 1 && isInteger(m.Type.Out(0).Kind()) {
					out[m.Name] = true
				}
			}
		}
		if t.Kind() != reflect.Struct {
			return
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if isInteger(f.Type.Kind()) {
				out[f.Name] = true
				continue
			}
			walk(f.Type)
		}
	}
	for _, v := range views {
		walk(reflect.TypeOf(v))
	}
	return out
}

func isInteger(k reflect.Kind) bool { return k >= reflect.Int && k <= reflect.Uintptr }

// makesString reports whether n calls a function that makes a new string.
func (c *treeCheck) makesString(n tparse.Node) bool {
	p, ok := n.(*tparse.PipeNode)
	if !ok {
		return false
	}
	for _, cmd := range p.Cmds {
		if len(cmd.Args) > 0 {
			if _, ok := cmd.Args[0].(*tparse.IdentifierNode); ok {
				return true
			}
		}
	}
	return false
}

// approx writes a large count for people: "2,000,000,000".
func approx(x float64) string {
	if x >= 1e15 {
		return strconv.FormatFloat(x, 'g', 3, 64)
	}
	s := strconv.FormatInt(int64(x), 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// textTrees and htmlTrees list a parsed file's templates by name.
func textTrees(t *texttemplate.Template) map[string]*tparse.Tree {
	out := map[string]*tparse.Tree{}
	for _, x := range t.Templates() {
		out[x.Name()] = x.Tree
	}
	return out
}

func htmlTrees(t *htmltemplate.Template) map[string]*tparse.Tree {
	out := map[string]*tparse.Tree{}
	for _, x := range t.Templates() {
		out[x.Name()] = x.Tree
	}
	return out
}

// Guarded versions of the built-in functions that make strings. Each
// refuses an input or a result over maxValue, and printf a width or
// precision over maxPad, so no chain of calls can build a huge string.
func guardedFuncs() map[string]any {
	return map[string]any{
		"print":    guard("print", fmt.Sprint),
		"println":  guard("println", fmt.Sprintln),
		"printf":   guardedPrintf,
		"html":     guard("html", texttemplate.HTMLEscaper),
		"js":       guard("js", texttemplate.JSEscaper),
		"urlquery": guard("urlquery", texttemplate.URLQueryEscaper),
	}
}

func guard(name string, f func(...any) string) func(...any) (string, error) {
	return func(args ...any) (string, error) {
		if err := checkArgs(name, args, 0); err != nil {
			return "", err
		}
		return checkResult(name, f(args...))
	}
}

func guardedPrintf(format string, args ...any) (string, error) {
	verbs := strings.Count(format, "%")
	if err := checkArgs("printf", args, len(format)+verbs*maxPad); err != nil {
		return "", err
	}
	if err := checkFormat(format); err != nil {
		return "", err
	}
	return checkResult("printf", fmt.Sprintf(format, args...))
}

// checkArgs refuses arguments whose strings add up to more than maxValue,
// counting extra bytes the call adds itself.
func checkArgs(name string, args []any, extra int) error {
	n := extra
	for _, a := range args {
		switch a := a.(type) {
		case string:
			n += len(a)
		case []byte:
			n += len(a)
		case fmt.Stringer:
			n += len(a.String())
		}
	}
	if n > maxValue {
		return fmt.Errorf("%s: would make a string of more than %s", name, sizeString(maxValue))
	}
	return nil
}

func checkResult(name, s string) (string, error) {
	if len(s) > maxValue {
		return "", fmt.Errorf("%s: makes a string of more than %s", name, sizeString(maxValue))
	}
	return s, nil
}

// checkFormat refuses '*' widths and widths or precisions over maxPad in a
// printf format.
func checkFormat(format string) error {
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
	verb:
		for i++; i < len(format); i++ {
			switch ch := format[i]; {
			case ch == '*':
				return errors.New("printf: * widths are not allowed")
			case ch >= '0' && ch <= '9':
				j := i
				for j < len(format) && format[j] >= '0' && format[j] <= '9' {
					j++
				}
				if n, err := strconv.Atoi(format[i:j]); err != nil || n > maxPad {
					return fmt.Errorf("printf: width or precision %s is over %d", strings.TrimLeft(format[i:j], "0"), maxPad)
				}
				i = j - 1
			case strings.IndexByte("+-# .[]", ch) >= 0:
			default:
				break verb // the verb itself
			}
		}
	}
	return nil
}
