// Package hours owns active hours: the weekly windows in which a job's
// alerts may speak, modelled on Alertmanager's time intervals
// (timeinterval/timeinterval.go): a window is a set of weekday ranges and a
// set of times of day, read on the wall clock of a location, parsed once
// and then evaluated against an instant the caller passes in.
//
// Two things differ from Alertmanager. Ranges are written "mon-fri" and
// "08:00-18:00" (the config's style), and a time range may pass midnight:
// "22:00-06:00" on fri covers Friday 22:00 to Saturday 06:00, so the part
// after midnight belongs to the weekday the window started on.
//
// Wall-clock semantics make DST need no special case in Contains: 08:00 is
// 08:00 whatever the offset. NextOpen, which gives the scheduler the instant
// a window opens, is the first instant Contains holds: an opening in the
// spring-forward gap (02:30 in New York on the second Sunday of March) is
// the instant the clock jumps (03:00 EDT, not time.Date's 03:30), an
// opening in the hour the fall-back repeats opens at each occurrence, and a
// window the clock is set back into opens at the change.
//
// hours imports only the standard library; config parses windows with it
// and jobs and alerting evaluate them.
package hours
