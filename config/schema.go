package config

// schema lists the keys allowed in each section of the file, in the order
// the documentation gives them. It is what unknown-key messages consult to
// say where a misplaced key belongs; a test checks that the decoder accepts
// exactly these keys. Read-only.
var schema = map[string][]string{
	"":                             {"timezone", "livechat", "email", "slack", "server", "store", "delivery", "scheduler", "templates_dir", "jobs"},
	"livechat":                     {"api", "base_url", "login", "api_key", "account_id", "token", "oauth_token", "seed", "rate_limit", "burst", "max_concurrent", "timeout", "retries", "cache_ttl"},
	"email":                        {"from", "smtp", "outbox_dir"},
	"email.smtp":                   {"host", "port", "username", "password", "tls", "timeout"},
	"slack":                        {"bot_token", "signing_secret", "api_url"},
	"server":                       {"addr", "pprof_addr", "public_url", "secret", "ui"},
	"server.ui":                    {"users", "proxy_user_header", "trusted_proxies"},
	"store":                        {"url", "retention"},
	"delivery":                     {"retry_for", "workers"},
	"scheduler":                    {"catch_up_grace", "lease", "reap_every", "max_runs"},
	"jobs[]":                       {"name", "schedule", "timezone", "period", "compare", "filters", "reports", "thresholds", "insight", "breakdown", "send", "email", "slack", "alerts"},
	"jobs[].filters":               {"group", "agent", "tags"},
	"jobs[].thresholds[]":          {"metric", "above", "below", "change_pct_above", "change_pct_below", "for", "anomaly", "runbook_url", "dashboard_url"},
	"jobs[].thresholds[].anomaly":  {"weeks", "z"},
	"jobs[].insight":               {"headline", "min_change", "min_count", "fdr", "mean_cv"},
	"jobs[].breakdown":             {"by", "groups", "agents", "top", "metrics", "max_requests"},
	"jobs[].email":                 {"to", "subject"},
	"jobs[].slack":                 {"channel", "chart"},
	"jobs[].alerts":                {"slack", "email", "active_hours", "repeat_every"},
	"jobs[].alerts.slack":          {"channel"},
	"jobs[].alerts.email":          {"to", "subject"},
	"jobs[].alerts.active_hours[]": {"weekdays", "times"},
}

// schemaOrder is the order sections are named in messages.
var schemaOrder = []string{
	"", "livechat", "email", "email.smtp", "slack", "server", "server.ui", "store", "delivery", "scheduler",
	"jobs[]", "jobs[].filters", "jobs[].thresholds[]", "jobs[].thresholds[].anomaly", "jobs[].insight", "jobs[].breakdown", "jobs[].email", "jobs[].slack",
	"jobs[].alerts", "jobs[].alerts.slack", "jobs[].alerts.email", "jobs[].alerts.active_hours[]",
}
