package ui

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"livechat-digest/digest"
	"livechat-digest/templates"
)

// ErrNoJob is wrapped by Data.Job for a name the config does not have.
var ErrNoJob = errors.New("ui: no such job")

// Data is what the pages show; main implements it over the config, the
// scheduler's next runs and the store.
type Data interface {
	Overview(ctx context.Context, now time.Time) (Overview, error)
	// Job is one job's page; an unknown name wraps ErrNoJob.
	Job(ctx context.Context, name string, now time.Time) (JobDetail, error)
}

// Previewer builds a job's digest as if it ran at at, recording and
// sending nothing (run --dry-run), through the shared LiveChat client.
type Previewer interface {
	Preview(ctx context.Context, job string, at time.Time) (*digest.Digest, error)
}

// Requeuer queues a failed delivery again and reports how many it queued
// (0 when the delivery is not failed).
type Requeuer interface {
	Requeue(ctx context.Context, id int64) (int, error)
}

// Resubscriber undoes an unsubscription (the page's Re-subscribe button)
// and reports whether there was one.
type Resubscriber interface {
	Resubscribe(ctx context.Context, job, address string) (bool, error)
}

// Overview is the front page.
type Overview struct {
	Jobs         []Job
	Alerts       []Alert
	QueueCounts  []Count // by status, in the order to show
	Queue        []Delivery
	QueueCut     bool // Queue lists only part of what is unsent
	Unsubscribed []Unsubscribed
	// Notice confirms the action that led here ("" for none).
	Notice string
	// CanResubscribe shows a Re-subscribe button beside each
	// unsubscription (Options.Resubscriber is set).
	CanResubscribe bool
}

// Job is one configured job with its schedule and last run.
type Job struct {
	Name, Schedule, Timezone string
	Next                     []time.Time
	Last                     *Run // nil: never run
	Undelivered              int  // deliveries not sent (queued, sending or failed)
}

// Run is one firing of a job.
type Run struct {
	FiringAt time.Time
	Status   string
	Error    string
	CaughtUp bool
}

// Alert is a threshold's state.
type Alert struct {
	Job, Key string
	Firing   bool
	Since    time.Time
	Value    string
	Silence  string // "" when not silenced
}

// Count is a number of deliveries in one status.
type Count struct {
	Status string
	N      int
}

// Delivery is a queued, failed or recent delivery.
type Delivery struct {
	ID        int64
	Job       string
	Kind      string
	FiringAt  time.Time
	Target    string
	Status    string
	Attempts  int
	LastError string
}

// Unsubscribed is a recipient who left a job's digest.
type Unsubscribed struct {
	Job, Address string
	At           time.Time
}

// JobDetail is a job's own page.
type JobDetail struct {
	Job
	// NextCovers is the period the next scheduled run covers
	// ("2026-11-23 – 2026-11-29", "2026-11-30 until 10:15"), "" when none.
	NextCovers   string
	Runs         []Run
	Deliveries   []Delivery
	Unsubscribed []Unsubscribed
}

func (u *UI) index(w http.ResponseWriter, r *http.Request) {
	o, err := u.o.Data.Overview(r.Context(), u.o.Now())
	if err != nil {
		u.log.Error("overview failed", "err", err)
		u.fail(w, r, http.StatusServiceUnavailable, "The store could not be read; try again shortly.")
		return
	}
	if id, err := strconv.ParseInt(r.URL.Query().Get("requeued"), 10, 64); err == nil && id > 0 {
		o.Notice = "Delivery " + strconv.FormatInt(id, 10) + " queued again; the worker sends it now."
	}
	if r.URL.Query().Get("resubscribed") == "1" {
		o.Notice = "Re-subscribed: the address gets the job's digests again from its next run."
	}
	o.CanResubscribe = u.o.Resubscriber != nil
	u.render(w, r, http.StatusOK, "index", o)
}

// jobPage is what the job template sees.
type jobPage struct {
	JobDetail
	// At is the instant the preview was built as of (now), and Covers
	// and Compare the periods it shows: the page says them next to the
	// next run's, which is usually a later period than "now"'s.
	At              time.Time
	Covers, Compare string
	Text, Slack     string
	PreviewError    string
	// PreviewPending: the build did not finish within the page's wait; it
	// goes on, and a reload shows it.
	PreviewPending bool
}

// covers says the period of d as the page shows it.
func covers(r digest.DateRange, until string) string {
	s := templates.RangeString(r)
	if until != "" {
		s += " until " + until
	}
	return s
}

func (u *UI) job(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	d, err := u.o.Data.Job(r.Context(), name, u.o.Now())
	if errors.Is(err, ErrNoJob) {
		u.fail(w, r, http.StatusNotFound, "There is no job of that name.")
		return
	}
	if err != nil {
		u.log.Error("job page failed", "job", name, "err", err)
		u.fail(w, r, http.StatusServiceUnavailable, "The store could not be read; try again shortly.")
		return
	}
	p := jobPage{JobDetail: d}
	dg, at, err := u.previews.get(r.Context(), name)
	p.At = at
	switch {
	case errors.Is(err, errPreviewPending):
		p.PreviewPending = true
	case err != nil:
		p.PreviewError = err.Error()
	default:
		p.Covers = covers(dg.Period, dg.Until)
		if dg.Compare != nil {
			p.Compare = covers(*dg.Compare, dg.Until)
		}
		if b, err := u.o.Renderer.Render(dg, templates.FormatText); err == nil {
			p.Text = string(b)
		}
		if b, err := u.o.Renderer.Render(dg, templates.FormatSlack); err == nil {
			p.Slack = string(b)
		}
	}
	u.render(w, r, http.StatusOK, "job", p)
}

// previewHTML is the digest's HTML, as the email shows it with the chart
// inlined, for the sandboxed iframe of the job page. It has its own CSP:
// the email's inline styles and data: chart are allowed here only, and
// only this origin may frame it.
func (u *UI) previewHTML(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, err := u.o.Data.Job(r.Context(), name, u.o.Now()); errors.Is(err, ErrNoJob) {
		http.Error(w, "no such job", http.StatusNotFound)
		return
	}
	dg, _, err := u.previews.get(r.Context(), name)
	if errors.Is(err, errPreviewPending) {
		w.Header().Set("Retry-After", "5")
		http.Error(w, "The preview is still being built; reload the page in a moment.", http.StatusServiceUnavailable)
		return
	}
	if err != nil {
		http.Error(w, "preview failed: "+err.Error(), http.StatusBadGateway)
		return
	}
	b, err := u.o.Renderer.Render(dg, templates.FormatHTML)
	if err != nil {
		http.Error(w, "preview failed", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", previewCSP)
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b)
}

// maxFormField bounds the job and address a Re-subscribe form sends.
const maxFormField = 1024

func (u *UI) resubscribe(w http.ResponseWriter, r *http.Request) {
	job, address := r.PostFormValue("job"), r.PostFormValue("address")
	if job == "" || address == "" || len(job) > maxFormField || len(address) > maxFormField {
		u.fail(w, r, http.StatusBadRequest, "No such unsubscription.")
		return
	}
	n, err := u.o.Resubscriber.Resubscribe(r.Context(), job, address)
	if err != nil {
		u.log.Error("resubscribe failed", "job", job, "err", err)
		u.fail(w, r, http.StatusServiceUnavailable, "The address could not be re-subscribed; try again shortly.")
		return
	}
	who, _ := r.Context().Value(userKey{}).(string)
	// The address is personal data: the log names the job and who acted.
	u.log.Info("recipient re-subscribed", "job", job, "user", who, "found", n)
	http.Redirect(w, r, "/?resubscribed=1#notice", http.StatusSeeOther)
}

func (u *UI) requeue(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		u.fail(w, r, http.StatusBadRequest, "No such delivery.")
		return
	}
	n, err := u.o.Requeuer.Requeue(r.Context(), id)
	if err != nil {
		u.log.Error("requeue failed", "delivery_id", id, "err", err)
		u.fail(w, r, http.StatusServiceUnavailable, "The delivery could not be queued again; try again shortly.")
		return
	}
	who, _ := r.Context().Value(userKey{}).(string)
	u.log.Info("delivery requeued", "delivery_id", id, "user", who, "requeued", n)
	http.Redirect(w, r, "/?requeued="+strconv.FormatInt(id, 10)+"#queue", http.StatusSeeOther)
}
