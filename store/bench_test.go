package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkClaimMarkSent measures queue throughput: one op is one delivery
// claimed and marked sent, in claims of batch deliveries.
func BenchmarkClaimMarkSent(b *testing.B) {
	for _, batch := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("sqlite/batch=%d", batch), func(b *testing.B) {
			benchClaimMarkSent(b, "sqlite:"+filepath.Join(b.TempDir(), "state.db"), batch)
		})
	}
	b.Run("postgres/batch=10", func(b *testing.B) {
		benchClaimMarkSent(b, pgSchemaURL(b), 10)
	})
}

func benchClaimMarkSent(b *testing.B, url string, batch int) {
	ctx := context.Background()
	s, err := Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ds := make([]Delivery, b.N)
	for i := range ds {
		ds[i] = delivery(fmt.Sprintf("k%d", i), t0)
	}
	if _, err := s.Enqueue(ctx, ds); err != nil {
		b.Fatal(err)
	}
	now := t0.Add(time.Minute)
	b.ResetTimer()
	done := 0
	for done < b.N {
		got, err := s.Claim(ctx, "bench", now, time.Minute, batch)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) == 0 {
			b.Fatalf("queue empty after %d of %d", done, b.N)
		}
		for _, d := range got {
			if err := s.MarkSent(ctx, d.ID, "bench", now); err != nil {
				b.Fatal(err)
			}
		}
		done += len(got)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}
