// Package ui serves the people who run livechat-digest: the operator web
// page of `serve` (jobs, runs, alerts, the delivery queue with a re-queue
// action, and a preview of the digest each job would send if it ran now)
// and the one-click unsubscribe endpoint that digest emails link to.
//
// It follows Miniflux's ui package: one html/template per page, a small
// handler per route, plain CSS from one embedded file, and no JavaScript:
// every page reads and every action works with scripts off. Security
// headers go on every answer: a Content-Security-Policy that allows only
// this origin's stylesheet and forms (frame-ancestors 'none'), nosniff, and
// Referrer-Policy no-referrer, so an unsubscribe token in a URL never
// leaves in a Referer. The digest's HTML preview is the one page that may
// be framed (by this origin) and may use inline styles and data: images;
// it is served on its own route under its own CSP, inside a sandboxed
// iframe.
//
// Access is off unless configured: users with bcrypt hashes signing in
// through a form (a session cookie, HttpOnly, SameSite=Lax, Secure when
// public_url is https), or a user header set by a reverse proxy, believed
// only from the trusted_proxies CIDRs. Sessions, CSRF tokens and
// unsubscribe tokens are HMACs keyed by server.secret, each under its own
// derived key; nothing is generated at start-up, so replicas sharing the
// secret accept each other's cookies and links, and rotating the secret
// ends them all. A session is signed with its user's bcrypt hash too, so a
// changed password ends it. Every state-changing POST needs a CSRF token
// made for the browser's csrf cookie and the signed-in user (a cookie
// planted from a sibling subdomain brings no valid token with it), except
// the unsubscribe POST, whose token is its own authority (RFC 8058: mail
// providers POST it without a session). Passwords are checked one at a
// time, an unknown name against a configured hash of the same cost.
//
// A preview is built as if the job ran now (a period that is over, with
// final numbers), and the page says which period that is and which one the
// next scheduled run covers. A page waits for a build less than serve's
// write timeout and then says it is under way; the build goes on.
//
// ui never imports jobs or store: it declares the small interfaces it
// needs (Data, Previewer, Requeuer, Unsubscriber) and main wires them.
package ui
