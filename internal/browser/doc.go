// Package browser starts headless Chromium for tests, through chromedp. It
// is imported only from _test.go files.
//
// Without a Chromium binary the calling test is skipped with the reason,
// so `go test ./...` passes on a machine without one; with the environment
// variable RequireEnv set (.ci/run sets it, after installing Debian's
// chromium), a missing browser fails the test instead, so CI never skips.
package browser
