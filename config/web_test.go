package config

import (
	"strings"
	"testing"
)

func TestServerWebConfig(t *testing.T) {
	t.Parallel()
	const head = "livechat: {base_url: builtin}\n"
	const hash = `"$$2a$$10$$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"`
	getenv := env("SECRET", strings.Repeat("k", 32), "SHORT", "short")
	tests := []struct {
		name, server, want string
	}{
		{"ok users", `{public_url: "https://d.example.com/", secret: "${SECRET}", ui: {users: {admin: ` + hash + `}}}`, ""},
		{"ok proxy", `{secret: "${SECRET}", ui: {proxy_user_header: X-Forwarded-User, trusted_proxies: [10.0.0.0/8, 127.0.0.1]}}`, ""},
		{"ok loopback http", `{public_url: "http://127.0.0.1:8080", secret: "${SECRET}"}`, ""},
		{"no secret", `{public_url: "https://d.example.com"}`, "test.yaml:2: server.secret is required with server.public_url"},
		{"literal secret", `{public_url: "https://d.example.com", secret: "` + strings.Repeat("x", 40) + `"}`, "server.secret: must come from the environment"},
		{"short secret", `{public_url: "https://d.example.com", secret: "${SHORT}"}`, "server.secret: at least 32 characters"},
		{"http public", `{public_url: "http://d.example.com", secret: "${SECRET}"}`, "must be https"},
		{"query", `{public_url: "https://d.example.com/?a=1", secret: "${SECRET}"}`, "no query or fragment"},
		{"empty ui", `{secret: "${SECRET}", ui: {}}`, "give users (name: bcrypt hash) or proxy_user_header"},
		{"proxy without cidrs", `{secret: "${SECRET}", ui: {proxy_user_header: X-User}}`, "proxy_user_header needs trusted_proxies"},
		{"bad cidr", `{secret: "${SECRET}", ui: {proxy_user_header: X-User, trusted_proxies: [10.0.0.0/33]}}`, "is not a CIDR"},
		{"plain password", `{secret: "${SECRET}", ui: {users: {admin: hunter2}}}`, "server.ui.users.admin: not a bcrypt hash"},
		{"ui needs secret", `{ui: {users: {admin: ` + hash + `}}}`, "server.secret is required with server.ui"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Parse("test.yaml", []byte(head+"server: "+tt.server+"\n"), getenv)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if strings.HasSuffix(cfg.Server.PublicURL, "/") {
					t.Errorf("public_url keeps its trailing slash: %q", cfg.Server.PublicURL)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), strings.Repeat("x", 40)) {
				t.Errorf("the secret leaks into the error: %v", err)
			}
		})
	}
}
