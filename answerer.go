package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"livechat-digest/alerting"
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
	return listAlerts(ctx, a.store, time.Now())
}

// listAlerts is the one list of alerts behind `livechat-digest alerts` and
// `/livechat alerts`.
func listAlerts(ctx context.Context, st *store.Store, now time.Time) ([]server.Alert, error) {
	states, err := st.Alerts(ctx)
	if err != nil {
		return nil, err
	}
	notices, err := st.Notices(ctx, store.NoticeFilter{})
	if err != nil {
		return nil, err
	}
	silences, err := st.Silences(ctx, store.SilenceFilter{EndsAfter: now})
	if err != nil {
		return nil, err
	}
	list := alerting.List(states, notices, silences, now)
	out := make([]server.Alert, 0, len(list))
	for _, s := range list {
		a := server.Alert{Job: s.Job, Key: s.Key, State: s.State, Since: s.Since, Value: s.Value, Notice: s.Notice}
		if si := s.Silence; si != nil {
			a.Silence = &server.AlertSilence{ID: si.ID, Until: si.EndsAt, By: si.CreatedBy, Reason: si.Reason}
		}
		out = append(out, a)
	}
	return out, nil
}
