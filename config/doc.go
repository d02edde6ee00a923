// Package config owns the YAML config file: its schema, ${VAR} expansion
// from the environment, the defaults, and validation that reports every
// problem at once as FILE:LINE: message. It also owns the Secret type that
// keeps passwords and tokens out of logs, errors and marshalled output.
//
// It imports yaml, gocron's cron parser, and digest and livechat only for
// their tables of valid names (periods, compare modes, reports, metrics). It
// must not import jobs, notify, store, server, templates, query or main: it
// describes what to do, it never does it.
package config
