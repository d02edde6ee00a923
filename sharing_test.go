package main

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/config"
	"livechat-digest/digest"
	"livechat-digest/livechat"
	"livechat-digest/livechat/sim"
	"livechat-digest/store"
)

// countingSim is the simulator behind a server that counts the requests
// reaching it; while hang is set it holds every request until its client
// gives up.
type countingSim struct {
	URL  string
	hits atomic.Int64
	hang atomic.Bool
}

func newCountingSim(t *testing.T) *countingSim {
	t.Helper()
	s, err := sim.New(sim.Options{Seed: 7, Login: "drill@example.com", APIKey: "drill-key"})
	require.NoError(t, err)
	c := &countingSim{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		if c.hang.Load() {
			<-r.Context().Done()
			return
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c.URL = srv.URL
	return c
}

// replica is one process's LiveChat client on the shared store, built as
// wire builds it.
func replica(t *testing.T, st *store.Store, upstreamURL, owner string, opts ...livechat.Option) *livechat.Client {
	t.Helper()
	lc := config.LiveChat{API: livechat.V2, BaseURL: upstreamURL, Login: "drill@example.com", APIKey: "drill-key",
		RateLimit: 1000, Burst: 1000}
	opts = append(append(sharing(st, lc, owner), livechat.WithRetry(1, time.Millisecond, time.Millisecond)), opts...)
	c, err := livechat.New(upstreamURL, lc.Login, lc.APIKey.Reveal(), opts...)
	require.NoError(t, err)
	return c
}

func sharingSpec(at time.Time) digest.Spec {
	return digest.Spec{Job: "weekly", Location: time.UTC, Period: digest.Period{Kind: digest.LastWeek},
		Compare: digest.PreviousPeriod, At: at,
		Reports: []livechat.Report{livechat.TotalChats, livechat.ChatRatings, livechat.ChatRanking, livechat.AgentsOccupancy}}
}

// TestReplicasShareAFiringsAnswers: two replicas on one PostgreSQL build
// the same digest for one firing at the same time: every distinct request
// reaches LiveChat once, from one replica or the other, and both take
// their requests from one rate bucket. The next firing asks afresh.
func TestReplicasShareAFiringsAnswers(t *testing.T) {
	t.Parallel()
	pgReachable(t)
	url := pgSchema(t)
	up := newCountingSim(t)
	a, b := openDrillStore(t, url), openDrillStore(t, url)
	ca, cb := replica(t, a, up.URL, "replica-a"), replica(t, b, up.URL, "replica-b")

	// The requests one digest makes, asked by one process alone.
	alone := newCountingSim(t)
	solo, err := livechat.New(alone.URL, "drill@example.com", "drill-key")
	require.NoError(t, err)
	firing := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	_, err = digest.Build(t.Context(), solo, sharingSpec(firing))
	require.NoError(t, err)
	distinct := alone.hits.Load()
	require.Greater(t, distinct, int64(4))

	build := func(c *livechat.Client, at time.Time) {
		f := c.Firing(at)
		defer f.Close()
		d, err := digest.Build(t.Context(), f, sharingSpec(at))
		assert.NoError(t, err)
		if d != nil {
			assert.Empty(t, d.Errors)
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { build(ca, firing) })
	wg.Go(func() { build(cb, firing) })
	wg.Wait()
	assert.Equal(t, distinct, up.hits.Load(), "two replicas, one firing: each distinct request once")

	// The same questions in the next firing are new questions.
	build(cb, firing.Add(24*time.Hour))
	assert.Equal(t, 2*distinct, up.hits.Load())

	db, err := sql.Open("pgx", url)
	require.NoError(t, err)
	defer db.Close()
	var buckets int
	require.NoError(t, db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM rate_limits`).Scan(&buckets))
	assert.Equal(t, 1, buckets, "both replicas take from the account's one bucket")
}

// TestDeadHoldersQuestionIsTakenOver: a replica that claimed a question and
// died (stopped renewing its lease) leaves it to a waiting replica once the
// lease runs out; the question is fetched once more, by the survivor, and
// its answer stored.
func TestDeadHoldersQuestionIsTakenOver(t *testing.T) {
	t.Parallel()
	pgReachable(t)
	url := pgSchema(t)
	a, b := openDrillStore(t, url), openDrillStore(t, url)
	up := newCountingSim(t)
	up.hang.Store(true)
	firing := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	q := livechat.Query{From: livechat.Date{Year: 2026, Month: 11, Day: 16}, To: livechat.Date{Year: 2026, Month: 11, Day: 22},
		Timezone: "UTC", GroupBy: livechat.ByDay}

	// a holds the question with a short lease while its request hangs.
	ca := replica(t, a, up.URL, "replica-a", livechat.WithCluster(clusterAnswers{st: a, owner: "replica-a"}, 300*time.Millisecond))
	fa := ca.Firing(firing)
	actx, die := context.WithCancel(t.Context())
	aDone := make(chan struct{})
	go func() {
		defer close(aDone)
		_, _ = fa.Fetch(actx, livechat.TotalChats, q)
	}()
	require.Eventually(t, func() bool { return up.hits.Load() == 1 }, 10*time.Second, time.Millisecond)

	// b asks the same question and waits for a's answer...
	waiting := make(chan struct{}, 100)
	cb := replica(t, b, up.URL, "replica-b",
		livechat.WithCluster(claimsSeen{clusterAnswers{st: b, owner: "replica-b"}, waiting}, 0))
	fb := cb.Firing(firing)
	defer fb.Close()
	bDone := make(chan error, 1)
	go func() {
		_, err := fb.Fetch(t.Context(), livechat.TotalChats, q)
		bDone <- err
	}()
	<-waiting // b found the question held by a
	// ...which never comes: a dies, and LiveChat answers again.
	die()
	<-aDone
	fa.Close()
	up.hang.Store(false)
	require.NoError(t, <-bDone)
	assert.Equal(t, int64(2), up.hits.Load(), "the dead holder's request, then the survivor's")

	db, err := sql.Open("pgx", url)
	require.NoError(t, err)
	defer db.Close()
	var holder string
	var done bool
	require.NoError(t, db.QueryRowContext(t.Context(), `SELECT holder, done FROM shared_answers`).Scan(&holder, &done))
	assert.Equal(t, "replica-b", holder)
	assert.True(t, done)
}

// claimsSeen signals each claim that found the question held by another
// replica.
type claimsSeen struct {
	clusterAnswers
	held chan struct{}
}

func (c claimsSeen) Claim(ctx context.Context, firing time.Time, key string, now time.Time, lease time.Duration) (livechat.Stored, bool, error) {
	a, leased, err := c.clusterAnswers.Claim(ctx, firing, key, now, lease)
	if err == nil && !leased && !a.Done {
		c.held <- struct{}{}
	}
	return a, leased, err
}

// TestReportTakesFromTheClustersRate: with a PostgreSQL store, `report`
// (not only serve and run) takes its requests from the account's rate
// bucket in the database, so a replica's slash commands and a terminal's
// reports count against the one rate.
func TestReportTakesFromTheClustersRate(t *testing.T) {
	t.Parallel()
	pgReachable(t)
	url := pgSchema(t)
	dir, path := writeConfig(t)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	src := strings.Replace(string(b), `"sqlite:`+filepath.Join(dir, "state.db")+`"`, `"`+url+`"`, 1)
	require.Contains(t, src, url)
	require.NoError(t, os.WriteFile(path, []byte(src), 0o600))

	code, stdout, stderr := runCLI(t, nil, "report", "total_chats,chat_ratings", "yesterday", "--format", "json", "--config", path)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `"total_chats.chats"`)

	db, err := sql.Open("pgx", url)
	require.NoError(t, err)
	defer db.Close()
	var buckets int
	var tat int64
	require.NoError(t, db.QueryRowContext(t.Context(), `SELECT COUNT(*), COALESCE(MAX(tat), 0) FROM rate_limits`).Scan(&buckets, &tat))
	assert.Equal(t, 1, buckets, "report reserved its requests in the account's bucket")
	assert.Positive(t, tat)
}
