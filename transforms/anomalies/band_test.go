package anomalies

import "testing"

// TestBand checks band against the Poisson quantiles qpois(0.001, lambda)
// and qpois(0.999, lambda), summed apart from the code; for lambda = 10 by
// hand: P(X <= 1) = 0.0005, P(X <= 2) = 0.0028, P(X <= 20) = 0.9984,
// P(X <= 21) = 0.9993.
func TestBand(t *testing.T) {
	for _, tt := range []struct {
		lambda float64
		lo, hi int64
	}{
		{10, 2, 21},
		{60, 38, 85},
		{180, 140, 223},
	} {
		if lo, hi := band(tt.lambda, 0.001); lo != tt.lo || hi != tt.hi {
			t.Errorf("band(%v) = [%d, %d], want [%d, %d]", tt.lambda, lo, hi, tt.lo, tt.hi)
		}
	}
}
