package jobs

import (
	"livechat-digest/config"
	"livechat-digest/digest"
	"livechat-digest/store"
)

// breakdown is the digest's part of a job's breakdown, or nil.
func breakdown(job *config.Job) *digest.Breakdown {
	if job.Breakdown == nil {
		return nil
	}
	b := job.Breakdown.Breakdown
	return &b
}

// holdDigest says whether job's send rule holds digest d back, and why: send:
// changes sends it only when a change passed the significance tests (the
// headline has something to say, whatever its length) or a threshold
// breaches now; send: breaches only when a threshold breaches now. Alerts
// are stepped and sent either way.
func holdDigest(job *config.Job, d *digest.Digest) (bool, string) {
	switch job.Send {
	case config.SendChanges:
		if !d.HasChanges() && len(d.Breaches) == 0 {
			return true, "digest not sent (send: changes): no change passed the significance tests and no threshold breaches"
		}
	case config.SendBreaches:
		if len(d.Breaches) == 0 {
			return true, "digest not sent (send: breaches): no threshold breaches"
		}
	}
	return false, ""
}

// observed is how a run's status is counted: a held-back digest is "quiet",
// apart from "skipped", which the metrics keep for a firing another run has.
func observed(status string) string {
	if status == store.RunSkipped {
		return "quiet"
	}
	return status
}
