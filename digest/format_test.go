package digest

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFormatValue(t *testing.T) {
	t.Parallel()
	metric := func(u Unit) Metric { return Metric{Key: "x", Unit: u} }
	tests := []struct {
		name string
		unit Unit
		v    *float64
		want string
	}{
		{"null", Count, nil, "—"},
		{"null rate", Rate, nil, "—"},
		{"nan", Seconds, ptr(math.NaN()), "—"},
		{"zero", Count, ptr(0), "0"},
		{"small count", Count, ptr(7), "7"},
		{"thousands", Count, ptr(1234), "1,234"},
		{"millions", Count, ptr(1234567), "1,234,567"},
		{"hundreds no comma", Count, ptr(999), "999"},
		{"negative thousands", Count, ptr(-1234), "-1,234"},
		{"seconds with decimal", Seconds, ptr(42.5), "42.5 s"},
		{"seconds rounded", Seconds, ptr(42.46), "42.5 s"},
		{"whole seconds", Seconds, ptr(40), "40 s"},
		{"long wait", Seconds, ptr(3600), "3,600 s"},
		{"hours", Hours, ptr(3.2), "3.2 h"},
		{"hours from minutes", Hours, ptr(0.25), "0.3 h"},
		{"rate", Rate, ptr(0.875), "87.5%"},
		{"rate whole", Rate, ptr(0.8), "80%"},
		{"rate third", Rate, ptr(1.0 / 3), "33.3%"},
		{"rate one", Rate, ptr(1), "100%"},
		{"tiny negative rounds to zero", Count, ptr(-0.01), "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, FormatValue(metric(tt.unit), tt.v))
		})
	}
}

func TestFormatChangePct(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "—", FormatChangePct(nil))
	assert.Equal(t, "+25%", FormatChangePct(ptr(25)))
	assert.Equal(t, "-3.5%", FormatChangePct(ptr(-3.5)))
	assert.Equal(t, "0%", FormatChangePct(ptr(0)))
	assert.Equal(t, "+1,200%", FormatChangePct(ptr(1200)))
}

func TestDirection(t *testing.T) {
	t.Parallel()
	up := Metric{Better: Up}
	down := Metric{Better: Down}
	neutral := Metric{Better: Neutral}
	rise := Value{Change: ptr(5)}
	fall := Value{Change: ptr(-5)}
	tests := []struct {
		name string
		m    Metric
		v    Value
		want int
	}{
		{"higher is better, rose", up, rise, +1},
		{"higher is better, fell", up, fall, -1},
		{"lower is better, rose", down, rise, -1},
		{"lower is better, fell", down, fall, +1},
		{"neutral rose", neutral, rise, 0},
		{"neutral fell", neutral, fall, 0},
		{"no change", up, Value{Change: ptr(0)}, 0},
		{"no comparison", down, Value{Current: ptr(3)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, Direction(tt.m, tt.v))
		})
	}
}
