package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"

	"livechat-digest/server"
	"livechat-digest/store"
)

// storeWatchEvery is how often serve checks that its store is still the
// one at the configured URL.
const storeWatchEvery = 15 * time.Second

// storeHealth is serve's health check: the store answers and is still the
// one it opened. /healthz shows why a changed store is unhealthy.
func storeHealth(st *store.Store) func(context.Context) error {
	return func(ctx context.Context) error {
		err := st.Check(ctx)
		var ce *store.ChangedError
		if errors.As(err, &ce) {
			return &server.HealthError{Reason: ce.Reason, Err: err}
		}
		return err
	}
}

// watchStore checks the store every `every` until ctx ends, and says at
// error level, once per change, that it was deleted or replaced and what
// follows: nothing probes /healthz on every deployment, and a process
// writing to a store nobody will open again must not go unnoticed.
func watchStore(ctx context.Context, st *store.Store, clock clockwork.Clock, every time.Duration, log *slog.Logger) {
	t := clock.NewTicker(every)
	defer t.Stop()
	last := ""
	for {
		err := st.Check(ctx)
		var ce *store.ChangedError
		switch {
		case ctx.Err() != nil:
			return
		case errors.As(err, &ce) && ce.Reason != last:
			log.Error("the store this process opened is no longer the one configured: it keeps working on the old one, "+
				"whose runs and deliveries the next start will not see; restart it (a store created at start-up catches nothing up)",
				"reason", ce.Reason)
			last = ce.Reason
		case err == nil && last != "":
			log.Info("the store is the one this process opened again")
			last = ""
		}
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
		}
	}
}
