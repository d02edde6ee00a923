package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Sources of livechat_digest_firing_answers_total, and the event of an
// answer not kept: the words of livechat's WithShareObserver
// (livechat.AnswerFetched, AnswerShared, AnswerReplica, AnswerNotKept),
// which server does not import.
const (
	SourceUpstream = "upstream"
	SourceShare    = "share"
	SourceReplica  = "replica"
	EventNotKept   = "not_kept"
)

func (m *Metrics) registerShareMetrics(f promauto.Factory) {
	m.firingAnswers = f.NewCounterVec(prometheus.CounterOpts{
		Name: "livechat_digest_firing_answers_total",
		Help: "Questions the runs of a firing asked, by where the answer came from: upstream (this replica asked LiveChat), share (another run of the firing here had asked), replica (another replica had).",
	}, []string{"source"})
	m.answersNotKept = f.NewCounter(prometheus.CounterOpts{
		Name: "livechat_digest_firing_answers_not_kept_total",
		Help: "Answers a firing fetched but could not keep (the shares' memory bound was reached); a later run asking the same question fetches it again.",
	})
	for _, s := range []string{SourceUpstream, SourceShare, SourceReplica} {
		m.firingAnswers.WithLabelValues(s)
	}
}

// SharedAnswer counts how a question a firing's run asked was answered, or
// an answer not kept (EventNotKept); it is the LiveChat client's share
// observer. Other words are ignored, so the labels stay bounded.
func (m *Metrics) SharedAnswer(event string) {
	if m == nil {
		return
	}
	switch event {
	case SourceUpstream, SourceShare, SourceReplica:
		m.firingAnswers.WithLabelValues(event).Inc()
	case EventNotKept:
		m.answersNotKept.Inc()
	}
}
