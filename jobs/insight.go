package jobs

import (
	"livechat-digest/config"
	"livechat-digest/digest"
)

// breakdown is the digest's part of a job's breakdown, or nil.
func breakdown(job *config.Job) *digest.Breakdown {
	if job.Breakdown == nil {
		return nil
	}
	b := job.Breakdown.Breakdown
	return &b
}
