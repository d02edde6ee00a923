package alerting

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/store"
)

func TestList(t *testing.T) {
	t.Parallel()
	v := 75.0
	states := []store.AlertState{
		{Job: "weekly", Key: "m1 above 1", Firing: true, Since: since, Value: &v, Updated: t9},
		{Job: "frt", Key: "m2 below 5|group=2", Streak: 1, Updated: t9},
		{Job: "frt", Key: "m1 above 60", Updated: t9},
		{Job: "frt", Key: "m3 above 1", Firing: true, Since: since, Updated: t9},
	}
	notices := []store.Notice{
		{Job: "weekly", Key: "m1 above 1", Target: "a", Since: since, Status: store.NoticeAnnounced},
		{Job: "weekly", Key: "m1 above 1", Target: "b", Since: since, Status: store.NoticeHeld},
		{Job: "weekly", Key: "m1 above 1", Target: "c", Since: since.Add(-time.Hour), Status: store.NoticeQueued},
		{Job: "frt", Key: "m1 above 60", Target: "a", Since: since, Status: store.NoticeResolved},
		{Job: "frt", Key: "m3 above 1", Target: "a", Since: since, Status: store.NoticeAnnounced},
		{Job: "frt", Key: "m3 above 1", Target: "b", Since: since, Status: store.NoticeQueued},
	}
	silences := []store.Silence{{ID: 7, Job: "frt", Metric: "m3", StartsAt: since, EndsAt: t9.Add(time.Hour)}}
	got := List(states, notices, silences, t9)
	require.Len(t, got, 4)
	assert.Equal(t, []string{"frt/m1 above 60", "frt/m2 below 5|group=2", "frt/m3 above 1", "weekly/m1 above 1"},
		[]string{got[0].Job + "/" + got[0].Key, got[1].Job + "/" + got[1].Key, got[2].Job + "/" + got[2].Key, got[3].Job + "/" + got[3].Key})
	assert.Equal(t, StateOK, got[0].State)
	assert.Equal(t, store.NoticeResolved, got[0].Notice)
	assert.Equal(t, StatePending, got[1].State)
	assert.Empty(t, got[1].Notice)
	assert.Equal(t, "m2", got[1].Metric)
	assert.Equal(t, StateFiring, got[2].State)
	assert.Equal(t, store.NoticeQueued, got[2].Notice, "queued outranks announced")
	require.NotNil(t, got[2].Silence)
	assert.Equal(t, int64(7), got[2].Silence.ID)
	assert.Equal(t, since, got[3].Since)
	assert.Equal(t, store.NoticeHeld, got[3].Notice, "one held target makes it held; the older firing's notice does not count")
	assert.Equal(t, &v, got[3].Value)
	assert.Nil(t, got[3].Silence)
	assert.True(t, got[0].Since.IsZero())
}
