package sim

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
)

// Fault kinds.
const (
	Fault5xx       = "5xx"       // 503 with a JSON error body
	Fault429       = "429"       // 429 with Retry-After when RetryAfter is set
	FaultTimeout   = "timeout"   // stall Delay (or until the request is cancelled), then answer
	FaultMalformed = "malformed" // 200 with the answer cut short: invalid JSON
)

// defaultTimeoutDelay is how long a "timeout" fault stalls when Delay is unset.
const defaultTimeoutDelay = 30 * time.Second

// Fault makes some requests fail. Faults are checked in order after the
// auth, version and path checks; the first one that fires answers.
type Fault struct {
	// Kind is "5xx", "429", "timeout" or "malformed".
	Kind string
	// Endpoint limits the fault to one endpoint, named by its path below
	// /reports/ (e.g. "chats/ratings"), or a v3.6 method by "v3.6/" and its
	// path (e.g. "v3.6/chats/ranking"); "" means every endpoint of both.
	Endpoint string
	// First fails the first N requests of each distinct request (v2: path
	// and query; v3.6: path and body), counting every request to it,
	// including those another fault answered; later ones are answered
	// normally.
	First int
	// Rate fails this fraction of requests, chosen by a hash of the seed,
	// the fault's position, the URL and the request's number for that URL:
	// deterministic for a request sequence, even under concurrency.
	Rate float64
	// RetryAfter is the Retry-After of a 429, sent in whole seconds (rounded
	// up, at least 1); zero sends none.
	RetryAfter time.Duration
	// Delay is how long a timeout stalls; zero means 30s.
	Delay time.Duration
}

func (f Fault) validate() error {
	switch f.Kind {
	case Fault5xx, Fault429, FaultTimeout, FaultMalformed:
	default:
		return fmt.Errorf("sim: fault kind %q: want 5xx, 429, timeout or malformed", f.Kind)
	}
	if f.Endpoint != "" && endpoints[f.Endpoint] == nil {
		if m, ok := strings.CutPrefix(f.Endpoint, "v3.6/"); !ok || v36Methods[m] == nil {
			return fmt.Errorf("sim: fault %s: unknown endpoint %q", f.Kind, f.Endpoint)
		}
	}
	if f.First < 0 {
		return fmt.Errorf("sim: fault %s: first=%d is negative", f.Kind, f.First)
	}
	if !(f.Rate >= 0 && f.Rate <= 1) {
		return fmt.Errorf("sim: fault %s: rate %v is not within 0..1", f.Kind, f.Rate)
	}
	if f.First == 0 && f.Rate == 0 {
		return fmt.Errorf("sim: fault %s: needs a rate or first=N", f.Kind)
	}
	if f.RetryAfter < 0 || f.Delay < 0 {
		return fmt.Errorf("sim: fault %s: negative duration", f.Kind)
	}
	return nil
}

// fires reports whether fault i hits the n-th request (from 1) to url.
func (f *Fault) fires(seed uint64, i int, ep, url string, n int64) bool {
	if f.Endpoint != "" && f.Endpoint != ep {
		return false
	}
	if f.First > 0 && n <= int64(f.First) {
		return true
	}
	if f.Rate <= 0 {
		return false
	}
	h := fnv.New64a()
	h.Write([]byte(url))
	u := hash(seed, saltFault+uint64(i)<<8, h.Sum64(), uint64(n))
	return float64(u>>11)/(1<<53) < f.Rate
}

// retryAfterSeconds is the Retry-After header value, or "" for none.
func (f *Fault) retryAfterSeconds() string {
	if f.RetryAfter <= 0 {
		return ""
	}
	s := int64((f.RetryAfter + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(s, 1), 10)
}

// ParseFaults reads the command-line form of a list of faults: comma
// separated faults, each a kind followed by colon-separated fields:
//
//	KIND[:RATE][:first=N][:rate=RATE][:retry=DURATION][:delay=DURATION][:endpoint=PATH]
//
// KIND is 5xx, 429, timeout or malformed; a bare number is the rate (a
// fraction 0..1); retry is a 429's Retry-After and delay a timeout's stall,
// both Go durations; endpoint limits the fault to one endpoint below
// /reports/. For example
//
//	5xx:0.1,429:0.05:retry=2s,timeout:0.02:delay=40s,malformed:first=1:endpoint=chats/ratings
//
// An empty spec means no faults.
func ParseFaults(spec string) ([]Fault, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, nil
	}
	var faults []Fault
	for item := range strings.SplitSeq(spec, ",") {
		fields := strings.Split(strings.TrimSpace(item), ":")
		f := Fault{Kind: fields[0]}
		for _, fl := range fields[1:] {
			if err := f.set(fl); err != nil {
				return nil, fmt.Errorf("sim: fault %q: %w", clip(item), err)
			}
		}
		if err := f.validate(); err != nil {
			return nil, err
		}
		if f.RetryAfter != 0 && f.Kind != Fault429 {
			return nil, fmt.Errorf("sim: fault %q: retry= applies only to 429", clip(item))
		}
		if f.Delay != 0 && f.Kind != FaultTimeout {
			return nil, fmt.Errorf("sim: fault %q: delay= applies only to timeout", clip(item))
		}
		faults = append(faults, f)
	}
	return faults, nil
}

func (f *Fault) set(field string) error {
	name, val, ok := strings.Cut(field, "=")
	if !ok {
		name, val = "rate", field
	}
	var err error
	switch name {
	case "rate":
		f.Rate, err = strconv.ParseFloat(val, 64)
	case "first":
		f.First, err = strconv.Atoi(val)
	case "retry":
		f.RetryAfter, err = time.ParseDuration(val)
	case "delay":
		f.Delay, err = time.ParseDuration(val)
	case "endpoint":
		f.Endpoint = strings.TrimPrefix(val, "/")
	default:
		return fmt.Errorf("unknown field %q", clip(name))
	}
	if err != nil {
		return fmt.Errorf("bad %s %q", name, clip(val))
	}
	return nil
}
