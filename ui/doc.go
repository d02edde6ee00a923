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
// ends them all. Every state-changing POST needs the session's CSRF token,
// except the unsubscribe POST, whose token is its own authority (RFC 8058:
// mail providers POST it without a session).
//
// ui never imports jobs or store: it declares the small interfaces it
// needs (Data, Previewer, Requeuer, Unsubscriber) and main wires them.
package ui
