// Package golden is the one golden-file helper of the repository: tests
// compare rendered output with testdata/NAME.golden in their own package
// directory, and `go test ./pkg/... -update` rewrites those files so every
// change to rendered output shows up, and is reviewed, in the diff.
//
// It is imported only from _test.go files: it defines the -update test flag
// and calls testing.TB, neither of which belongs in a production binary.
// It imports the standard library and go-cmp (for readable diffs) and no
// project package.
package golden
