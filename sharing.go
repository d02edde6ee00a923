package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"time"

	"livechat-digest/config"
	"livechat-digest/digest"
	"livechat-digest/livechat"
	"livechat-digest/store"
)

// clusterAnswers is the store as the LiveChat client's Cluster: the
// answers the replicas of one firing share, each question fetched by the
// replica that holds its lease (owner).
type clusterAnswers struct {
	st    *store.Store
	owner string
}

func (c clusterAnswers) Claim(ctx context.Context, firing time.Time, key string, now time.Time, lease time.Duration) (livechat.Stored, bool, error) {
	a, leased, err := c.st.ClaimAnswer(ctx, firing, key, c.owner, now, lease)
	return stored(a), leased, err
}

func (c clusterAnswers) Put(ctx context.Context, firing time.Time, key string, a livechat.Stored) error {
	return c.st.PutAnswer(ctx, firing, key, c.owner, a.Body, a.Failure)
}

func (c clusterAnswers) Lookup(ctx context.Context, firing time.Time, keys []string) ([]livechat.Stored, error) {
	as, err := c.st.SharedAnswers(ctx, firing, keys)
	out := make([]livechat.Stored, len(as))
	for i, a := range as {
		out[i] = stored(a)
	}
	return out, err
}

func stored(a store.SharedAnswer) livechat.Stored {
	return livechat.Stored{Key: a.Key, Done: a.Done, Body: a.Body, Failure: a.Failure, LeaseUntil: a.LeaseUntil}
}

// sharing returns the client options that make the replicas on st one
// client of the LiveChat account: livechat.rate_limit (and burst) for the
// whole cluster, as a token bucket in the database named after the
// account, and answers shared per firing. On SQLite there is one process
// per state file that runs jobs, and its own limiter and in-process
// sharing are all there is.
func sharing(st *store.Store, lc config.LiveChat, owner string) []livechat.Option {
	if st == nil || st.Dialect() != store.DialectPostgres {
		return nil
	}
	// The bucket is the account's: a hash of the credentials, so two
	// services of different accounts on one database keep their own rates
	// and the name holds no secret.
	login, key, bearer := credentials(lc)
	sum := sha256.Sum256([]byte("livechat-digest/rate\x00" + login + "\x00" + key + "\x00" + bearer))
	bucket := "livechat/" + hex.EncodeToString(sum[:8])
	reserve := func(ctx context.Context, now time.Time) (time.Duration, error) {
		return st.ReserveRequest(ctx, bucket, lc.RateLimit, lc.Burst, now)
	}
	return []livechat.Option{
		livechat.WithSharedRateLimit(reserve),
		livechat.WithCluster(clusterAnswers{st: st, owner: owner}, 0),
	}
}

// firingShare opens the answers shared by the runs of one firing (see
// jobs.Share).
func firingShare(c *livechat.Client) func(at time.Time) (digest.Fetcher, func()) {
	return func(at time.Time) (digest.Fetcher, func()) {
		s := c.Firing(at)
		return s, s.Close
	}
}

// sweepEvery is how often serve deletes what replicas that died left of
// the shared answers; abandonedAfter is how old a firing's answers may be
// before they go whatever still holds them.
const (
	sweepEvery     = time.Minute
	abandonedAfter = 24 * time.Hour
)

// sweepShared deletes, every sweepEvery until ctx ends, the shared answers
// of firings that ended without their last holder releasing them (it died)
// and those older than abandonedAfter (see store.SweepAnswers). Only
// replicas on PostgreSQL share answers.
func sweepShared(ctx context.Context, st *store.Store, log *slog.Logger) {
	if st.Dialect() != store.DialectPostgres {
		return
	}
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		if n, err := st.SweepAnswers(ctx, now, now.Add(-abandonedAfter)); err != nil {
			if ctx.Err() == nil {
				log.Warn("sweeping shared answers failed", "err", err)
			}
		} else if n > 0 {
			log.Info("swept shared answers of ended firings", "answers", n)
		}
	}
}
