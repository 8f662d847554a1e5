package anomalies

import (
	"math"
	"testing"
)

// minutesOf returns minutes with these event counts, flagged for events
// where flagged is true.
func minutesOf(events []int64, flagged func(i int) bool) []Minute {
	ms := make([]Minute, len(events))
	for i, n := range events {
		ms[i].Events = n
		if flagged(i) {
			ms[i].Flagged = 1 << 0 // counted[0] is events
		}
	}
	return ms
}

func never(int) bool { return false }

// TestRate checks that minutes flagged for a metric leave its baseline,
// unless they are more than half of it.
func TestRate(t *testing.T) {
	base := []int64{10, 10, 40, 40, 10, 10}
	for _, tt := range []struct {
		name    string
		flagged func(int) bool
		want    float64
	}{
		{"none flagged", never, 20},
		{"spike flagged", func(i int) bool { return i == 2 || i == 3 }, 10},
		{"most flagged", func(i int) bool { return i < 4 }, 20},
	} {
		if got := rate(minutesOf(base, tt.flagged), 0); got != tt.want {
			t.Errorf("%s: rate %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestDispersion checks the dispersion on 40 spans of 3 minutes whose sums
// alternate 80 and 120: mean 100, sum of squares 16,000, 39 degrees of
// freedom whose chi-square 5 % quantile is 25.69 (Wilson-Hilferty by hand:
// 39 (1 - 2/351 - 1.645 sqrt(2/351))^3), so 16,000 / 25.69 / 100 = 6.23.
// Constant counts give 1, and so do spans left out for a flag until fewer
// than 10 remain.
func TestDispersion(t *testing.T) {
	alternating := make([]int64, 120)
	for i := range alternating {
		alternating[i] = 40 // spans of 120
		if i/3%2 == 1 {
			alternating[i] = []int64{27, 27, 26}[i%3] // spans of 80
		}
	}
	if got := dispersion(minutesOf(alternating, never), 3, 0); math.Abs(got-6.23) > 0.01 {
		t.Errorf("alternating 120 and 80: dispersion %.3f, want 6.23", got)
	}
	steady := make([]int64, 120)
	for i := range steady {
		steady[i] = 40
	}
	if got := dispersion(minutesOf(steady, never), 3, 0); got != 1 {
		t.Errorf("steady: dispersion %v, want 1", got)
	}
	if got := dispersion(minutesOf(alternating, func(i int) bool { return i%3 == 0 && i > 20 }), 3, 0); got != 1 {
		t.Errorf("33 of 40 spans flagged: dispersion %v, want 1", got)
	}
}

// TestQuasiBand checks that a dispersion of 1 is the Poisson band and that
// a dispersion of 4 widens the band around 8,000 to about 4.265 standard
// deviations of sqrt(4 x 8,000) = 178.9 on each side (the normal 1e-5
// quantile), 7,237 to 8,763.
func TestQuasiBand(t *testing.T) {
	if lo, hi := quasiBand(60, 1, 0.001); lo != 38 || hi != 85 {
		t.Errorf("quasiBand(60, 1) = [%d, %d], want band's [38, 85]", lo, hi)
	}
	lo, hi := quasiBand(8000, 4, 1e-5)
	if math.Abs(float64(lo)-7237) > 15 || math.Abs(float64(hi)-8763) > 15 {
		t.Errorf("quasiBand(8000, 4) = [%d, %d], want about [7237, 8763]", lo, hi)
	}
}
