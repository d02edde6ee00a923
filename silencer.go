package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"livechat-digest/alerting"
	"livechat-digest/config"
	"livechat-digest/query"
	"livechat-digest/server"
	"livechat-digest/store"
)

// silencer gives the Slack server silences (commands and buttons) without
// the server importing store or config.
type silencer struct {
	cfg   *config.Config
	store *store.Store
	now   func() time.Time
}

// Silence adds one silence per metric asked for (one for the whole job
// when none), all ending at the same instant.
func (s silencer) Silence(ctx context.Context, r server.SilenceRequest) (string, error) {
	job, ok := s.cfg.Job(r.Job)
	if !ok {
		return "", fmt.Errorf("%w %q", server.ErrUnknownJob, r.Job)
	}
	metrics := r.Metrics
	for _, m := range metrics {
		if !jobHasMetric(job.Thresholds, m) {
			return "", fmt.Errorf("job %s has no threshold on %q", job.Name, m)
		}
	}
	if len(metrics) == 0 {
		metrics = []string{""}
	}
	now := s.now()
	until := now.Add(r.For)
	if r.UntilNineTomorrow {
		until = alerting.NineTomorrow(now, job.Location)
	}
	if !until.After(now) || until.Sub(now) > query.MaxSilence {
		return "", errors.New("a silence must end after now and within 90 days")
	}
	var ss []store.Silence
	for _, m := range slices.Compact(slices.Sorted(slices.Values(metrics))) {
		ss = append(ss, store.Silence{Job: job.Name, Metric: m, StartsAt: now, EndsAt: until,
			CreatedBy: r.By, Reason: r.Reason, CreatedAt: now})
	}
	if _, err := s.store.AddSilencesOnce(ctx, r.Key, ss, store.SlackPost{Channel: r.Channel, TS: r.TS}); err != nil {
		if errors.Is(err, store.ErrSeenRequest) {
			return "", server.ErrReplayed
		}
		return "", err
	}
	return until.In(job.Location).Format("2006-01-02 15:04 MST"), nil
}

// Silences lists the silences in force: "#3 frt-watch/… until … by …: why".
func (s silencer) Silences(ctx context.Context) ([]string, error) {
	now := s.now()
	ss, err := s.store.Silences(ctx, store.SilenceFilter{EndsAfter: now})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ss))
	for _, si := range ss {
		loc := s.cfg.Location
		if j, ok := s.cfg.Job(si.Job); ok {
			loc = j.Location
		}
		what := si.Job
		if si.Metric != "" {
			what += "/" + si.Metric
		}
		line := fmt.Sprintf("#%d %s until %s", si.ID, what, si.EndsAt.In(loc).Format("2006-01-02 15:04 MST"))
		if si.CreatedBy != "" {
			line += " by " + si.CreatedBy
		}
		if si.Reason != "" {
			line += ": " + oneLine(si.Reason)
		}
		out = append(out, line)
	}
	return out, nil
}
