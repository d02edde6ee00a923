package ui

import (
	"errors"
	"net/http"
)

// unsubscribePage is what the unsubscribe templates see.
type unsubscribePage struct {
	Job, Address string
	Token        string
	Done         bool
}

// unsubscribeGet shows a confirmation page with a button. It changes
// nothing: link scanners and previews fetch GETs (RFC 8058 section 3).
func (u *UI) unsubscribeGet(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("t")
	job, addr, err := u.o.Unsubscribe.Signer.Parse(tok)
	if err != nil {
		u.badToken(w)
		return
	}
	u.render(w, r, http.StatusOK, "unsubscribe", unsubscribePage{Job: job, Address: addr, Token: tok})
}

// unsubscribePost unsubscribes the token's recipient from its job. It is
// the RFC 8058 one-click POST (body List-Unsubscribe=One-Click, sent by
// the mail provider without any cookie) and the confirmation page's
// button: the token is the authority, so neither login nor CSRF applies.
func (u *UI) unsubscribePost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	tok := r.URL.Query().Get("t")
	if tok == "" {
		tok = r.PostForm.Get("t")
	}
	job, addr, err := u.o.Unsubscribe.Signer.Parse(tok)
	if err != nil {
		u.badToken(w)
		return
	}
	if r.PostForm.Get("List-Unsubscribe") != "One-Click" {
		http.Error(w, "expected List-Unsubscribe=One-Click", http.StatusBadRequest)
		return
	}
	if _, err := u.o.Unsubscribe.Store.Unsubscribe(r.Context(), job, addr, u.o.Now()); err != nil {
		u.log.Error("unsubscribe failed", "job", job, "err", err)
		http.Error(w, "could not record the unsubscribe; please try again", http.StatusServiceUnavailable)
		return
	}
	u.log.Info("unsubscribed", "job", job)
	u.render(w, r, http.StatusOK, "unsubscribe", unsubscribePage{Job: job, Address: addr, Done: true})
}

func (u *UI) badToken(w http.ResponseWriter) {
	// One answer for every bad token: which check failed is not said.
	http.Error(w, "this unsubscribe link is not valid", http.StatusBadRequest)
}

var errNoSigner = errors.New("ui: unsubscribe needs a signer and a store")
