package jobs

import (
	"context"
	"fmt"
)

// Unsubscribes are the recipients who asked for no more digests of a job;
// *store.Store provides it.
type Unsubscribes interface {
	// Unsubscribed returns the job's unsubscribed addresses, lower-cased.
	Unsubscribed(ctx context.Context, job string) (map[string]bool, error)
}

// unsubscribed reads the job's unsubscribes; none when the runner has no
// Unsubscribes. A failure fails the run (it is retried): queueing a digest
// to someone who unsubscribed is worse than queueing it late.
func (r *Runner) unsubscribed(ctx context.Context, job string) (map[string]bool, error) {
	if r.o.Unsubscribes == nil {
		return nil, nil
	}
	set, err := r.o.Unsubscribes.Unsubscribed(ctx, job)
	if err != nil {
		return nil, fmt.Errorf("jobs: %s: %w", job, err)
	}
	return set, nil
}
