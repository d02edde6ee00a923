package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"livechat-digest/config"
	"livechat-digest/digest"
	"livechat-digest/jobs"
	"livechat-digest/query"
	"livechat-digest/server"
	"livechat-digest/store"
)

// answerer gives the Slack server what it answers with, without the server
// importing jobs or store.
type answerer struct {
	cfg    *config.Config
	runner *jobs.Runner
	fetch  digest.Fetcher
	store  *store.Store
}

func (a answerer) Report(ctx context.Context, c query.Command, at time.Time) (*digest.Digest, error) {
	return digest.Build(ctx, a.fetch, query.Spec(c, a.cfg.Location, at))
}

func (a answerer) Digest(ctx context.Context, name string, at time.Time) (*digest.Digest, error) {
	job, ok := a.cfg.Job(name)
	if !ok {
		names := make([]string, len(a.cfg.Jobs))
		for i, j := range a.cfg.Jobs {
			names[i] = j.Name
		}
		return nil, fmt.Errorf("%w %q; jobs: %s", server.ErrUnknownJob, name, strings.Join(names, ", "))
	}
	return a.runner.Build(ctx, job, at)
}

func (a answerer) Alerts(ctx context.Context) ([]server.Alert, error) {
	states, err := a.store.Alerts(ctx)
	if err != nil {
		return nil, err
	}
	var out []server.Alert
	for _, s := range states {
		if s.Firing {
			out = append(out, server.Alert{Job: s.Job, Key: s.Key, Since: s.Since, Value: s.Value})
		}
	}
	return out, nil
}
