// Package unsubscribe makes and checks the tokens of one-click unsubscribe
// links (RFC 8058): an HMAC-SHA256, keyed by server.secret, over the job and
// the recipient's address. The token is the whole authority of the POST
// that unsubscribes (there is no login), so it is unforgeable without the
// secret and any change to it is refused. It has no expiry: a link in a
// year-old digest still works. Rotating server.secret ends every old link.
//
// The key is derived from the secret for this use alone, so a token can
// never pass for a session or CSRF token signed with the same secret.
//
// unsubscribe is a leaf: it imports only the standard library.
package unsubscribe
