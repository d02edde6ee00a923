package digest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestThresholdRuleAndKey(t *testing.T) {
	t.Parallel()
	th := Threshold{Metric: "chats_first_response_time.seconds", Op: Above, Value: 60}
	assert.Equal(t, "above 60", th.Rule())
	assert.Equal(t, "chats_first_response_time.seconds above 60", th.Key())
	assert.Equal(t, "change_pct_below -20", Threshold{Metric: "total_chats.chats", Op: ChangePctBelow, Value: -20}.Rule())
	assert.Equal(t, "below 0.8", Threshold{Metric: "chat_ratings.satisfaction", Op: Below, Value: 0.8}.Rule())
	assert.NoError(t, th.Validate())
	assert.Error(t, Threshold{Metric: "nope.x", Op: Above}.Validate())
	assert.Error(t, Threshold{Metric: "total_chats.chats", Op: "over"}.Validate())
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	d := &Digest{Metrics: map[string]Value{
		"chats_first_response_time.seconds": {Current: ptr(75.2), Previous: ptr(50), Change: ptr(25.2), ChangePct: ptr(50.4)},
		"total_chats.chats":                 {Current: ptr(60), Previous: ptr(100), Change: ptr(-40), ChangePct: ptr(-40)},
		"chats_response_time.seconds":       {},                                                  // no responses: every field null
		"goals.goals":                       {Current: ptr(6), Previous: ptr(0), Change: ptr(6)}, // previous 0: no change_pct
	}}
	tests := []struct {
		name   string
		th     Threshold
		breach bool
		value  *float64
	}{
		{"above breached", Threshold{Metric: "chats_first_response_time.seconds", Op: Above, Value: 60}, true, ptr(75.2)},
		{"above not breached", Threshold{Metric: "chats_first_response_time.seconds", Op: Above, Value: 90}, false, ptr(75.2)},
		{"above equal is not above", Threshold{Metric: "total_chats.chats", Op: Above, Value: 60}, false, ptr(60)},
		{"below breached", Threshold{Metric: "total_chats.chats", Op: Below, Value: 61}, true, ptr(60)},
		{"below not breached", Threshold{Metric: "total_chats.chats", Op: Below, Value: 60}, false, ptr(60)},
		{"change pct above breached", Threshold{Metric: "chats_first_response_time.seconds", Op: ChangePctAbove, Value: 20}, true, ptr(50.4)},
		{"change pct above not breached", Threshold{Metric: "chats_first_response_time.seconds", Op: ChangePctAbove, Value: 60}, false, ptr(50.4)},
		{"change pct below breached", Threshold{Metric: "total_chats.chats", Op: ChangePctBelow, Value: -20}, true, ptr(-40)},
		{"change pct below not breached", Threshold{Metric: "total_chats.chats", Op: ChangePctBelow, Value: -50}, false, ptr(-40)},
		{"null current never breaches above", Threshold{Metric: "chats_response_time.seconds", Op: Above, Value: -1}, false, nil},
		{"null current never breaches below", Threshold{Metric: "chats_response_time.seconds", Op: Below, Value: 1e9}, false, nil},
		{"null change pct never breaches", Threshold{Metric: "goals.goals", Op: ChangePctBelow, Value: 1e9}, false, nil},
		{"null change pct never breaches above", Threshold{Metric: "goals.goals", Op: ChangePctAbove, Value: -1e9}, false, nil},
		{"missing report never breaches", Threshold{Metric: "greetings.displayed", Op: Below, Value: 1e9}, false, nil},
		{"unknown op never breaches", Threshold{Metric: "total_chats.chats", Op: "over", Value: 0}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			breach, v := EvaluateOne(d, tt.th)
			assert.Equal(t, tt.breach, breach)
			assert.Equal(t, tt.value, v)
			got := Evaluate(d, []Threshold{tt.th})
			assert.NotNil(t, got)
			if tt.breach {
				assert.Equal(t, []Breach{{Metric: tt.th.Metric, Rule: tt.th.Rule(), Value: *tt.value, Threshold: tt.th.Value}}, got)
			} else {
				assert.Empty(t, got)
			}
		})
	}

	t.Run("order kept and empty is not nil", func(t *testing.T) {
		t.Parallel()
		got := Evaluate(d, []Threshold{
			{Metric: "total_chats.chats", Op: ChangePctBelow, Value: -20},
			{Metric: "chats_response_time.seconds", Op: Above, Value: 0},
			{Metric: "chats_first_response_time.seconds", Op: Above, Value: 60},
		})
		assert.Equal(t, []string{"total_chats.chats", "chats_first_response_time.seconds"}, []string{got[0].Metric, got[1].Metric})
		assert.Equal(t, []Breach{}, Evaluate(d, nil))
		ok, v := EvaluateOne(nil, Threshold{Metric: "total_chats.chats", Op: Above, Value: 0})
		assert.False(t, ok)
		assert.Nil(t, v)
	})
}
