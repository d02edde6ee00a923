package digest

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A value that overflows (hostile upstream numbers) does not exist: it is
// nil, as a division by zero is, never ±Inf or NaN in a digest.
func TestOverflowIsNull(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		agg  Agg
		obs  []obs
	}{
		{"weighted mean", WeightedMean, []obs{mean(ptr(1e308), 10), mean(ptr(1e308), 10)}},
		{"sum", Sum, []obs{amount(1e308), amount(1e308)}},
		{"ratio", Ratio, []obs{{x: 1e308, w: 1e-308, ok: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := accum{agg: tc.agg}
			for _, o := range tc.obs {
				a.add(o, 1)
			}
			assert.Nil(t, a.value())
		})
	}
	v := compare(ptr(1e308), ptr(-1e308))
	assert.Nil(t, v.Change, "1e308 − (−1e308) overflows")
	assert.Nil(t, v.ChangePct)
	v = compare(ptr(1e308), ptr(1e-300))
	assert.NotNil(t, v.Change)
	assert.Nil(t, v.ChangePct, "the relative change overflows")
	assert.Nil(t, ptr(math.NaN()))
	assert.Equal(t, 2.0, *ptr(2))
}
