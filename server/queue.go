package server

import (
	"context"
	"errors"
	"net/http"
)

// Defaults of Options.AnswerWorkers and Options.AnswerQueue.
const (
	// DefaultAnswerWorkers answers at a time. An answer mostly waits for
	// LiveChat (and the account's rate limit), so a few workers keep the
	// upstream busy, while their CPU work (digest, Block Kit, the post)
	// never crowds out the acknowledgements, which Slack wants within 3 s.
	DefaultAnswerWorkers = 8
	// DefaultAnswerQueue acknowledged commands may wait for a worker: three
	// bursts of 1,000 commands a few seconds apart all get their answers.
	// A queued answer is a closure of a few hundred bytes.
	DefaultAnswerQueue = 4096
)

// errBusy and errClosed are why enqueue refused an answer.
var (
	errBusy   = errors.New("server: answer queue full")
	errClosed = errors.New("server: shutting down")
)

// enqueue queues answer for one of the Options.AnswerWorkers workers, with
// a context that lives as long as the server rather than the request (the
// request ends with the ack), and returns at once: the acknowledgement
// never waits behind answer work, and a burst of commands costs one queue
// slot each, not a goroutine computing at once. It refuses with errBusy
// when Options.AnswerQueue answers already wait, and with errClosed once
// Wait has been called. The workers start with the first answer.
func (s *Server) enqueue(parent context.Context, answer func(ctx context.Context)) error {
	// WithoutCancel keeps the request's values but not its end.
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		cancel()
		return errClosed
	}
	id := s.nextID
	run := func() {
		defer func() {
			s.mu.Lock()
			delete(s.cancels, id)
			s.mu.Unlock()
			cancel()
		}()
		answer(ctx)
	}
	select {
	case s.queue <- run:
	default:
		cancel()
		return errBusy
	}
	s.nextID++
	s.cancels[id] = cancel
	if !s.working {
		s.working = true
		for range s.o.AnswerWorkers {
			s.wg.Add(1)
			go s.work()
		}
	}
	return nil
}

// work runs queued answers until Wait closes the queue and it is empty.
func (s *Server) work() {
	defer s.wg.Done()
	for run := range s.queue {
		run()
	}
}

// answerClient is the default client for posting answers (see
// Options.HTTPClient).
func answerClient(workers int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = workers
	return &http.Client{Timeout: defaultPostTimeout, Transport: t}
}
