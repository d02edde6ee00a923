package main

import (
	"livechat-digest/config"
	"livechat-digest/livechat"
)

// The simulator's own credentials, used when a builtin config gives none.
const (
	builtinLogin = "demo@example.com"
	builtinKey   = "demo-key"
)

// credentials returns what the client authenticates with: the v2 login and
// API key, or on v3.6 the account ID and personal access token (basic auth)
// or an OAuth token (bearer, with login and key empty). With base_url
// builtin and none given, the simulator's demo pair.
func credentials(lc config.LiveChat) (login, key, bearer string) {
	switch {
	case lc.API == livechat.V36 && lc.OAuthToken != "":
		return "", "", lc.OAuthToken.Reveal()
	case lc.API == livechat.V36:
		login, key = lc.AccountID, lc.Token.Reveal()
	default:
		login, key = lc.Login, lc.APIKey.Reveal()
	}
	if lc.Builtin() && login == "" && key == "" {
		login, key = builtinLogin, builtinKey
	}
	return login, key, ""
}
