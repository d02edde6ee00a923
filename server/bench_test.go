package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"livechat-digest/digest"
	"livechat-digest/query"
	"livechat-digest/templates"
)

// BenchmarkSlashAck sends 1,000 signed slash commands at once over loopback
// TCP and reports the acknowledgement latency (request sent → 200 read) as
// p50-ms and p99-ms, and acks/s. The Answerer takes a second per answer, so
// p99 under a second shows that acks do not wait for answers. Answers are posted to a local
// response_url; answers-posted counts them once all have finished.
//
//	go test -run '^$' -bench SlashAck -benchtime 3x ./server/
func BenchmarkSlashAck(b *testing.B) {
	const (
		concurrent = 1000
		// Longer than any ack should take, so p99-ms below it shows that
		// acks do not wait for answers.
		answerTime = time.Second
	)
	r, err := templates.New("")
	if err != nil {
		b.Fatal(err)
	}
	var posted atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		posted.Add(1)
	}))
	defer hook.Close()
	hookClient := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: concurrent}}

	ans := &fakeAnswerer{report: func(ctx context.Context, _ query.Command, _ time.Time) (*digest.Digest, error) {
		t := time.NewTimer(answerTime) // a slow upstream
		defer t.Stop()
		select {
		case <-t.C:
			return weekDigest("report"), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}
	srv, err := New(Options{
		SigningSecret: testSecret, Answerer: ans, Renderer: r,
		HTTPClient:        hookClient,
		ResponseURLPrefix: hook.URL + "/commands/",
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	// Served as serve serves it: HTTPServer's timeouts behind LimitListener.
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.Config = srv.HTTPServer()
	ts.Listener = LimitListener(ts.Listener)
	ts.Start()
	defer ts.Close()
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: concurrent, MaxIdleConnsPerHost: concurrent,
	}}
	// Every command is a distinct request (its own trigger_id, as Slack's
	// are): the same signed body twice would be refused as a replay.
	form := slashForm("report chats last week", hook.URL+"/commands/T0001/1/abc")
	sent := 0

	var (
		lat    []time.Duration
		failed atomic.Int64
	)
	for b.Loop() {
		durs := make([]time.Duration, concurrent)
		var wg sync.WaitGroup
		for i := range concurrent {
			sent++
			form.Set("trigger_id", strconv.Itoa(sent))
			body := form.Encode()
			wg.Go(func() {
				ts0 := time.Now().Unix()
				req, err := http.NewRequest(http.MethodPost, ts.URL+"/slack/commands", strings.NewReader(body))
				if err != nil {
					failed.Add(1)
					return
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts0, 10))
				req.Header.Set("X-Slack-Signature", signature(testSecret, ts0, []byte(body)))
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				durs[i] = time.Since(start)
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
			})
		}
		wg.Wait()
		lat = append(lat, durs...)
	}
	b.StopTimer()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv.Wait(ctx)
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d commands were not acknowledged with 200", n, len(lat))
	}
	slices.Sort(lat)
	ms := func(q float64) float64 {
		return float64(lat[int(q*float64(len(lat)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
	b.ReportMetric(float64(posted.Load())/float64(len(lat)), "answers-posted/cmd")
	b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "acks/s")
	b.ReportMetric(0, "ns/op")
}
