package anomalies

import "math"

// band returns the Poisson band around the mean lambda: the smallest lo
// with P(X <= lo) > alpha and the smallest hi with P(X <= hi) >= 1 - alpha.
// A count under lo has probability at most alpha of being that low, one
// over hi at most alpha of being that high.
func band(lambda, alpha float64) (lo, hi int64) {
	cdf, lo := 0.0, int64(-1)
	for k := int64(0); ; k++ {
		lg, _ := math.Lgamma(float64(k) + 1)
		cdf += math.Exp(-lambda + float64(k)*math.Log(lambda) - lg)
		if lo < 0 && cdf > alpha {
			lo = k
		}
		if cdf >= 1-alpha {
			return lo, k
		}
	}
}

// quasiBand is the band for a count with mean lambda and variance phi times
// lambda (phi >= 1, overdispersed): x is out of it when x/phi is out of the
// Poisson band around lambda/phi. With phi 1 it is band.
func quasiBand(lambda, phi, alpha float64) (lo, hi int64) {
	l, h := band(lambda/phi, alpha)
	return int64(math.Ceil(float64(l) * phi)), int64(math.Floor(float64(h) * phi))
}
