package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// update is a test flag, the one kind of package-level state STYLE.md allows.
var update = flag.Bool("update", false, "rewrite golden files")

// Path returns the golden file for name, relative to the package directory
// that `go test` runs the calling test in.
func Path(name string) string {
	return filepath.Join("testdata", name+".golden")
}

// Assert compares got with testdata/<name>.golden. With -update it writes
// got to that file instead (creating testdata/ when needed), so the new
// output can be reviewed with git diff. On a mismatch the test fails with a
// line diff (-want +got); a missing file fails with a hint to run -update.
func Assert(t testing.TB, name string, got []byte) {
	t.Helper()
	path := Path(name)
	if *update {
		if err := write(path, got); err != nil {
			t.Fatalf("golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden: %v (run go test with -update to create it)", err)
		return // only reached with a TB whose Fatalf does not stop the test
	}
	if bytes.Equal(want, got) {
		return
	}
	t.Errorf("golden: %s differs (-want +got); rerun with -update if the change is intended:\n%s",
		path, cmp.Diff(lines(want), lines(got)))
}

func write(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// lines splits after each "\n", keeping the line ends, so the diff is per
// line and a missing final newline shows up too.
func lines(b []byte) []string {
	return strings.SplitAfter(string(b), "\n")
}
