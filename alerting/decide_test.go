package alerting

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"livechat-digest/store"
)

var (
	t9    = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	since = t9.Add(-time.Hour)
)

func notice(status string, mod ...func(*store.Notice)) store.Notice {
	n := store.Notice{Job: "j", Key: "k", Target: "slack:#a", Since: since, Status: status, Delivery: "d1",
		NotifiedAt: since, Version: 4}
	for _, m := range mod {
		m(&n)
	}
	return n
}

func TestDecide(t *testing.T) {
	t.Parallel()
	firing := store.AlertState{Job: "j", Key: "k", Firing: true, Since: since}
	none := store.Notice{Job: "j", Key: "k", Target: "slack:#a"}
	other := func(n *store.Notice) { n.Since = since.Add(-24 * time.Hour) }
	tests := []struct {
		name       string
		in         Input
		want       Action
		wantSave   bool
		wantDelete bool
		check      func(t *testing.T, n store.Notice)
	}{
		{name: "ok and never fired: nothing", in: Input{State: store.AlertState{Job: "j", Key: "k"}, Notice: none, Now: t9}, want: None},
		{name: "new firing announces", in: Input{State: firing, Notice: none, Now: t9}, want: Announce, wantSave: true,
			check: func(t *testing.T, n store.Notice) {
				assert.Equal(t, store.NoticeQueued, n.Status)
				assert.Equal(t, t9, n.NotifiedAt)
				assert.Equal(t, since, n.Since)
				assert.Equal(t, "slack:#a", n.Target)
				assert.Zero(t, n.Version)
			}},
		{name: "new firing silenced is held", in: Input{State: firing, Notice: none, Held: true, Now: t9}, want: Hold, wantSave: true,
			check: func(t *testing.T, n store.Notice) {
				assert.Equal(t, store.NoticeHeld, n.Status)
				assert.True(t, n.NotifiedAt.IsZero())
				assert.Equal(t, since, n.Since)
			}},
		{name: "notice of an older firing: the new one announces over it", in: Input{State: firing, Notice: notice(store.NoticeAnnounced, other), Now: t9},
			want: Announce, wantSave: true, check: func(t *testing.T, n store.Notice) {
				assert.Equal(t, since, n.Since)
				assert.Equal(t, int64(4), n.Version, "saved over the version read")
				assert.Empty(t, n.Delivery)
			}},
		{name: "resolved notice of this firing: announces again", in: Input{State: firing, Notice: notice(store.NoticeResolved, func(n *store.Notice) {
			n.ResolvedAt = t9
			n.Reminders = 3
		}), Now: t9}, want: Announce, wantSave: true, check: func(t *testing.T, n store.Notice) {
			assert.True(t, n.ResolvedAt.IsZero())
			assert.Zero(t, n.Reminders)
		}},
		{name: "held and still held: nothing new", in: Input{State: firing, Notice: notice(store.NoticeHeld), Held: true, Now: t9}, want: None},
		{name: "held and no longer: announces once", in: Input{State: firing, Notice: notice(store.NoticeHeld, func(n *store.Notice) { n.Reminders = 2 }), Now: t9},
			want: Announce, wantSave: true, check: func(t *testing.T, n store.Notice) {
				assert.Equal(t, store.NoticeQueued, n.Status)
				assert.Equal(t, t9, n.NotifiedAt)
				assert.Zero(t, n.Reminders)
				assert.Equal(t, int64(4), n.Version)
			}},
		{name: "announced, no reminders configured", in: Input{State: firing, Notice: notice(store.NoticeAnnounced), Now: t9.Add(100 * time.Hour)}, want: None},
		{name: "announced, reminder not yet due", in: Input{State: firing, Notice: notice(store.NoticeAnnounced), Now: since.Add(4*time.Hour - time.Second), RepeatEvery: 4 * time.Hour}, want: None},
		{name: "announced, reminder due at the interval", in: Input{State: firing, Notice: notice(store.NoticeAnnounced), Now: since.Add(4 * time.Hour), RepeatEvery: 4 * time.Hour},
			want: Remind, wantSave: true, check: func(t *testing.T, n store.Notice) { assert.Equal(t, 1, n.Reminders) }},
		{name: "queued counts as announced for reminders", in: Input{State: firing, Notice: notice(store.NoticeQueued), Now: since.Add(5 * time.Hour), RepeatEvery: 4 * time.Hour},
			want: Remind, wantSave: true, check: func(t *testing.T, n store.Notice) { assert.Equal(t, 1, n.Reminders) }},
		{name: "second reminder waits for its own interval", in: Input{State: firing, Notice: notice(store.NoticeAnnounced, func(n *store.Notice) { n.Reminders = 1 }), Now: since.Add(7 * time.Hour), RepeatEvery: 4 * time.Hour}, want: None},
		{name: "missed intervals are not made up", in: Input{State: firing, Notice: notice(store.NoticeAnnounced, func(n *store.Notice) { n.Reminders = 1 }), Now: since.Add(13 * time.Hour), RepeatEvery: 4 * time.Hour},
			want: Remind, wantSave: true, check: func(t *testing.T, n store.Notice) { assert.Equal(t, 3, n.Reminders) }},
		{name: "due reminder held", in: Input{State: firing, Notice: notice(store.NoticeAnnounced), Held: true, Now: since.Add(4 * time.Hour), RepeatEvery: 4 * time.Hour},
			want: Hold, check: func(t *testing.T, n store.Notice) { assert.Zero(t, n.Reminders) }},
		{name: "unknown status: nothing", in: Input{State: firing, Notice: notice("weird"), Now: t9}, want: None},
		{name: "resolve of an announced firing", in: Input{Resolved: true, ResolvedSince: since, Notice: notice(store.NoticeAnnounced), Now: t9}, want: Resolve, wantSave: true,
			check: func(t *testing.T, n store.Notice) {
				assert.Equal(t, store.NoticeResolved, n.Status)
				assert.Equal(t, t9, n.ResolvedAt)
				assert.Equal(t, "d1", n.Delivery, "the resolve refers to the announcing message")
			}},
		{name: "resolve of a queued firing", in: Input{Resolved: true, ResolvedSince: since, Notice: notice(store.NoticeQueued), Now: t9}, want: Resolve, wantSave: true},
		{name: "resolve is never held", in: Input{Resolved: true, ResolvedSince: since, Notice: notice(store.NoticeAnnounced), Held: true, Now: t9}, want: Resolve, wantSave: true},
		{name: "resolved while held and never announced: nothing, notice gone", in: Input{Resolved: true, ResolvedSince: since, Notice: notice(store.NoticeHeld), Now: t9}, wantDelete: true},
		{name: "resolve with no notice: nothing", in: Input{Resolved: true, ResolvedSince: since, Notice: none, Now: t9}},
		{name: "resolve of another firing's notice: nothing", in: Input{Resolved: true, ResolvedSince: since, Notice: notice(store.NoticeAnnounced, other), Now: t9}},
		{name: "resolve already resolved: nothing", in: Input{Resolved: true, ResolvedSince: since, Notice: notice(store.NoticeResolved), Now: t9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.in)
			assert.Equal(t, tt.want, got.Action, "action")
			assert.Equal(t, tt.wantSave, got.Save, "save")
			assert.Equal(t, tt.wantDelete, got.Delete, "delete")
			if tt.check != nil {
				tt.check(t, got.Notice)
			}
			if !got.Save && !got.Delete && tt.in.Notice.Version != 0 && got.Action != Hold {
				assert.Equal(t, tt.in.Notice, got.Notice, "unsaved decisions leave the notice as read")
			}
		})
	}
}

func TestActionString(t *testing.T) {
	t.Parallel()
	for a, want := range map[Action]string{None: "none", Announce: "announce", Remind: "remind", Resolve: "resolve", Hold: "hold", Action(99): "none"} {
		assert.Equal(t, want, a.String())
	}
}
