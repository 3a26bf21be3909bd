// Package stats has the small statistics the benchmark reports: percentiles
// of latency samples, and the median and range of repeated runs.
package stats

import (
	"math"
	"sort"
)

// Percentile returns the p-th percentile (0–100) of xs (nearest rank);
// NaN when xs is empty. xs is sorted in place.
func Percentile(xs []int64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	k := int(math.Ceil(p/100*float64(len(xs)))) - 1
	if k < 0 {
		k = 0
	}
	return float64(xs[k])
}

// Summary is the median and range of repeated measurements.
type Summary struct {
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Runs   []float64 `json:"runs"`
}

// Summarize returns the median and range, ignoring NaNs; NaN when nothing is left.
func Summarize(xs []float64) Summary {
	var v []float64
	for _, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			v = append(v, x)
		}
	}
	s := Summary{Median: math.NaN(), Min: math.NaN(), Max: math.NaN(), Runs: xs}
	if len(v) == 0 {
		return s
	}
	sort.Float64s(v)
	s.Min, s.Max = v[0], v[len(v)-1]
	if len(v)%2 == 1 {
		s.Median = v[len(v)/2]
	} else {
		s.Median = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return s
}
