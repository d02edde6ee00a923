package query

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportsStayLow: query is the grammar (layer 2 in STYLE.md); of the
// project it may import only digest and livechat, so the fuzzed parser
// never pulls in the store and its database drivers.
func TestImportsStayLow(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"livechat-digest/digest": true, "livechat-digest/livechat": true}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range ast.Imports {
			path, _ := strconv.Unquote(im.Path.Value)
			if strings.HasPrefix(path, "livechat-digest/") && !allowed[path] {
				t.Errorf("%s imports %s; query may import only digest and livechat of the project", f, path)
			}
		}
	}
}
