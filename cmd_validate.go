package main

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"livechat-digest/config"
	"livechat-digest/digest"
	"livechat-digest/livechat"
	"livechat-digest/templates"
)

func (a *app) validateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "Check the config; print every problem as FILE:LINE: message",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Nothing validate does needs winding down, and much of it
			// cannot see ctx (reading the config or a template from a
			// FIFO or a hung mount, running a template): the first signal
			// ends it, not only the second.
			done := make(chan error, 1)
			go func() { done <- a.validate() }()
			select {
			case err := <-done:
				return err
			case <-cmd.Context().Done():
				return failed(errors.New("validate: interrupted"))
			}
		},
	}
}

// validate checks the config, the subjects and the templates, and prints
// ok or returns every problem.
func (a *app) validate() error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	// What config cannot check, because it needs the templates
	// package: subjects that parse but fail when executed, and the
	// templates_dir overrides. Both would otherwise fail every run.
	var problems []error
	if errs := checkSubjects(cfg); len(errs) > 0 {
		problems = append(problems, errs)
	}
	if _, err := templates.New(cfg.TemplatesDir); err != nil {
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		return &exitError{code: exitUsage, err: errors.Join(problems...)}
	}
	fmt.Fprintf(a.stdout, "%s: ok, %d jobs\n", cfg.File, len(cfg.Jobs))
	return nil
}

// checkSubjects executes every job's email.subject and alerts.email.subject
// over a sample digest, as a run would execute them over the real one, and
// returns a problem for each that fails, at the subject's line.
func checkSubjects(cfg *config.Config) config.Errors {
	var errs config.Errors
	for i := range cfg.Jobs {
		job := &cfg.Jobs[i]
		sample := sampleDigest(job)
		check := func(key string, e *config.JobEmail) {
			if e == nil || e.Subject == "" {
				return
			}
			if _, err := templates.Subject(sample, e.Subject); err != nil {
				line := e.SubjectLine
				if line == 0 {
					line = job.Line
				}
				msg := err.Error()
				var se *templates.SubjectError
				if errors.As(err, &se) {
					msg = se.Msg
				}
				errs = append(errs, config.Error{File: cfg.File, Line: line, Msg: fmt.Sprintf("job %q: %s: %s", job.Name, key, msg)})
			}
		}
		check("email.subject", job.Email)
		if job.Alerts != nil {
			// An alert subject is executed over the digest too (jobs'
			// alertSubject), then prefixed with the alert's state.
			check("alerts.email.subject", job.Alerts.Email)
		}
	}
	slices.SortStableFunc(errs, func(a, b config.Error) int { return a.Line - b.Line })
	return errs
}

// sampleDigest stands in for what job's runs produce: its name and zone, a
// week and the week before it. A subject sees only these fields.
func sampleDigest(job *config.Job) *digest.Digest {
	from := livechat.Date{Year: 2026, Month: time.November, Day: 16}
	prev := digest.DateRange{From: from.AddDays(-7), To: from.AddDays(-1)}
	return &digest.Digest{
		Job: job.Name, Timezone: job.Timezone,
		Period:  digest.DateRange{From: from, To: from.AddDays(6)},
		Compare: &prev,
	}
}
