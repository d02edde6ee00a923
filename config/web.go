package config

import (
	"net/netip"
	"net/url"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// minSecretLen is the shortest server.secret accepted: 32 characters, as
// much as the HMAC-SHA256 keys derived from it can use.
const minSecretLen = 32

// bcryptHashRe is the shape of a bcrypt hash ($2a$, $2b$ or $2y$, a two-digit
// cost, 53 characters of salt and hash), checked here without bcrypt itself.
var bcryptHashRe = regexp.MustCompile(`^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$`)

// UI is the operator web page of `serve` (server.ui). It is on when it has
// users or a trusted proxy header.
type UI struct {
	// Users maps a login name to its bcrypt hash.
	Users map[string]string
	// ProxyUserHeader names the header a reverse proxy puts the signed-in
	// user in (e.g. X-Forwarded-User); it is believed only from
	// TrustedProxies.
	ProxyUserHeader string
	TrustedProxies  []netip.Prefix
	Line            int
}

// server decodes the server section.
func (d *decoder) server(v *yaml.Node, s *Server) {
	var secret scalar
	publicLine := 0
	d.mapping(v, "server", "server",
		field{"addr", func(_, v *yaml.Node) {
			if sc, ok := d.str(v, "server.addr", &s.Addr); ok && !sc.null {
				d.checkAddr(sc)
			}
		}},
		field{"pprof_addr", func(_, v *yaml.Node) {
			if sc, ok := d.str(v, "server.pprof_addr", &s.PprofAddr); ok && !sc.null {
				d.checkPprofAddr(sc)
			}
		}},
		field{"public_url", func(_, v *yaml.Node) {
			if sc, ok := d.str(v, "server.public_url", &s.PublicURL); ok && !sc.null {
				publicLine = sc.line
				d.checkPublicURL(sc)
				s.PublicURL = strings.TrimRight(s.PublicURL, "/")
			}
		}},
		field{"secret", func(_, v *yaml.Node) {
			secret, _ = d.secret(v, "server.secret", &s.Secret)
		}},
		field{"ui", func(k, v *yaml.Node) {
			if isNull(resolve(v)) {
				return
			}
			s.UI = &UI{Line: k.Line}
			d.ui(v, s.UI)
		}},
	)
	if s.UI == nil && s.PublicURL == "" {
		return
	}
	need := "server.ui"
	line := 0
	if s.UI != nil {
		line = s.UI.Line
	} else {
		need, line = "server.public_url", publicLine
	}
	switch {
	case !secret.given || secret.null:
		d.errorf(line, "server.secret is required with %s: it signs sessions and unsubscribe links; set it from the environment, e.g. secret: ${LIVECHAT_DIGEST_SECRET}", need)
	case !secret.ok:
	case !secret.expanded:
		// Never show the value: it is a secret written into the file.
		d.errorf(secret.line, "server.secret: must come from the environment (e.g. ${LIVECHAT_DIGEST_SECRET}), not be written in the file")
	case len(secret.val) < minSecretLen:
		d.errorf(secret.line, "server.secret: at least %d characters (e.g. openssl rand -hex 32), got %d", minSecretLen, len(secret.val))
	}
}

// checkPublicURL wants an absolute http(s) URL without query or fragment;
// https unless the host is loopback: mail providers POST one-click
// unsubscribes to https only (RFC 8058).
func (d *decoder) checkPublicURL(s scalar) {
	u, err := url.Parse(s.val)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil:
		d.errorf(s.line, "server.public_url: %s is not an http(s) URL with a host", s.quoted())
	case u.RawQuery != "" || u.Fragment != "":
		d.errorf(s.line, "server.public_url: %s: no query or fragment, just where serve is reached", s.quoted())
	case u.Scheme == "http" && !loopbackHost(u.Hostname()):
		d.errorf(s.line, "server.public_url: %s: must be https (mail providers only POST one-click unsubscribes to https); http is for localhost only", s.quoted())
	}
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.IsLoopback()
}

func (d *decoder) ui(v *yaml.Node, u *UI) {
	d.mapping(v, "server.ui", "server.ui",
		field{"users", func(_, v *yaml.Node) {
			n := resolve(v)
			if n == nil || isNull(n) {
				return
			}
			if n.Kind != yaml.MappingNode {
				d.errorf(n.Line, "server.ui.users: expected a mapping of user name to bcrypt hash, got %s", kindName(n))
				return
			}
			u.Users = map[string]string{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, hv := resolve(n.Content[i]), n.Content[i+1]
				name := k.Value
				h, ok := d.str(hv, "server.ui.users."+name, new(string))
				if !ok || h.null {
					continue
				}
				switch {
				case name == "" || strings.ContainsAny(name, " \t:"):
					d.errorf(k.Line, "server.ui.users: %q is not a user name (no spaces or colons)", name)
				case !bcryptHashRe.MatchString(h.val):
					d.errorf(h.line, "server.ui.users.%s: not a bcrypt hash ($2a$10$…; make one with htpasswd -nbBC 10 USER PASSWORD)", name)
				default:
					u.Users[name] = h.val
				}
			}
		}},
		field{"proxy_user_header", func(_, v *yaml.Node) {
			if s, ok := d.str(v, "server.ui.proxy_user_header", &u.ProxyUserHeader); ok && !s.null && !validHeaderName(s.val) {
				d.errorf(s.line, "server.ui.proxy_user_header: %s is not a header name", s.quoted())
			}
		}},
		field{"trusted_proxies", func(_, v *yaml.Node) {
			vals, _, _ := d.strings(v, "server.ui.trusted_proxies", "CIDR")
			for _, s := range vals {
				p, err := netip.ParsePrefix(s.val)
				if err != nil {
					a, aerr := netip.ParseAddr(s.val)
					if aerr != nil {
						d.errorf(s.line, "server.ui.trusted_proxies: %s is not a CIDR (10.0.0.0/8) or an address", s.quoted())
						continue
					}
					p = netip.PrefixFrom(a, a.BitLen())
				}
				u.TrustedProxies = append(u.TrustedProxies, p.Masked())
			}
		}},
	)
	switch {
	case u.ProxyUserHeader != "" && len(u.TrustedProxies) == 0:
		d.errorf(u.Line, "server.ui: proxy_user_header needs trusted_proxies: the header is believed only from those addresses")
	case u.ProxyUserHeader == "" && len(u.Users) == 0:
		d.errorf(u.Line, "server.ui: give users (name: bcrypt hash) or proxy_user_header with trusted_proxies; without either the page would be open to all")
	}
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
