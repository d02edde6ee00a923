package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// layers places every package of the module in STYLE.md's diagram
// (section 2): a package imports only packages of lower layers. A package
// missing here fails the test, so a new one is placed (and put in STYLE.md
// and the README's Layout) when it is added.
var layers = map[string]int{
	"livechat": 0, "livechat/sim": 0, "store": 0, "hours": 0, "unsubscribe": 0,
	"internal/golden": 0, "internal/browser": 0,
	"digest": 1,
	"query":  2, "templates": 2, "config": 2,
	"notify": 3, "alerting": 3,
	"jobs": 4, "server": 4, "ui": 4,
	".": 5, "bench": 5,
}

// denied are imports a lower layer would allow that the table rules out:
// the simulator writes JSON from its own shapes, never the client's; ui
// and server reach jobs and the store only through interfaces of their own.
var denied = map[string][]string{
	"livechat/sim": {"livechat"},
	"ui":           {"store", "notify", "config"},
	"server":       {"store", "config"},
}

func TestImportsFollowTheLayers(t *testing.T) {
	t.Parallel()
	imports := map[string]map[string]string{} // package → project import → a file importing it
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		if imports[pkg] == nil {
			imports[pkg] = map[string]string{}
		}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if rest, ok := strings.CutPrefix(p, "livechat-digest/"); ok {
				imports[pkg][rest] = path
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for pkg, ims := range imports {
		layer, ok := layers[pkg]
		if !ok {
			t.Errorf("package %s has no layer: place it in layers (and in STYLE.md section 2 and the README's Layout)", pkg)
			continue
		}
		for im, file := range ims {
			switch l, ok := layers[im]; {
			case !ok:
				t.Errorf("%s imports %s, which has no layer", file, im)
			case l >= layer:
				t.Errorf("%s (layer %d) imports %s (layer %d): imports go to lower layers only", file, layer, im, l)
			}
			for _, d := range denied[pkg] {
				if im == d {
					t.Errorf("%s imports %s, which STYLE.md rules out for %s", file, im, pkg)
				}
			}
		}
	}
	for _, pkg := range []string{".", "ui", "jobs", "livechat"} {
		if imports[pkg] == nil {
			t.Errorf("no files read for %s", pkg)
		}
	}
}
