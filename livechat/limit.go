package livechat

import (
	"context"
	"errors"
	"time"
)

// Reserve reserves the next request of a rate that other processes share
// (every replica of one account) and returns how long the caller must wait
// before sending it. The store implements it for replicas on PostgreSQL as
// a token bucket in the database (store.ReserveRequest).
type Reserve func(ctx context.Context, now time.Time) (time.Duration, error)

// WithSharedRateLimit paces every attempt, retries included, by r, so that
// all the processes of one account together stay within the account's
// rate, instead of each applying WithRateLimit on its own. When r fails
// (the database is unreachable) the attempt waits for the client's own
// limiter (WithRateLimit) instead: the service goes on at no more than one
// process's share, and the fallback is logged once per run of failures and
// counted by ReserveFailures.
func WithSharedRateLimit(r Reserve) Option {
	return func(c *Client) error {
		if r == nil {
			return errors.New("livechat: WithSharedRateLimit: nil func")
		}
		c.reserve = r
		return nil
	}
}

// ReserveFailures returns how many attempts fell back on the client's own
// limiter because the shared rate could not be reserved.
func (c *Client) ReserveFailures() int64 { return c.reserveFails.Load() }

// wait holds an attempt back until the rate allows it: the shared rate
// when there is one, else (or when it fails) the client's own limiter.
func (c *Client) wait(ctx context.Context) error {
	if c.reserve != nil {
		d, err := c.reserve(ctx, time.Now())
		if err == nil {
			if c.reserveFailing.Swap(false) {
				c.log.Info("shared rate limit reachable again")
			}
			if d <= 0 {
				return nil
			}
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.reserveFails.Add(1)
		if !c.reserveFailing.Swap(true) {
			c.log.Warn("shared rate limit unreachable; pacing by this process's own limit", "err", err)
		}
	}
	return c.limiter.Wait(ctx)
}
