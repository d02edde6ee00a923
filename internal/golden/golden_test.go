package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder captures failures instead of failing the real test.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msg = fmt.Sprintf(format, args...)
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
}

func TestAssert(t *testing.T) {
	// Golden files are relative to the working directory, so this test
	// runs in a temporary one; it cannot run in parallel with others.
	t.Chdir(t.TempDir())

	t.Run("missing file", func(t *testing.T) {
		r := &recorder{TB: t}
		Assert(r, "absent", []byte("x\n"))
		if !r.failed || !strings.Contains(r.msg, "-update") {
			t.Fatalf("want failure hinting at -update, got failed=%v %q", r.failed, r.msg)
		}
	})

	t.Run("update writes, then matches", func(t *testing.T) {
		*update = true
		Assert(t, "sub/out", []byte("one\ntwo\n"))
		*update = false
		b, err := os.ReadFile(filepath.Join("testdata", "sub", "out.golden"))
		if err != nil || string(b) != "one\ntwo\n" {
			t.Fatalf("written file = %q, %v", b, err)
		}
		r := &recorder{TB: t}
		Assert(r, "sub/out", []byte("one\ntwo\n"))
		if r.failed {
			t.Fatalf("equal content failed: %s", r.msg)
		}
	})

	t.Run("mismatch shows line diff", func(t *testing.T) {
		r := &recorder{TB: t}
		Assert(r, "sub/out", []byte("one\nTWO\n"))
		if !r.failed {
			t.Fatal("mismatch did not fail")
		}
		for _, s := range []string{"sub/out.golden", `-`, `"two\n"`, `+`, `"TWO\n"`} {
			if !strings.Contains(r.msg, s) {
				t.Errorf("message lacks %q:\n%s", s, r.msg)
			}
		}
	})
}
