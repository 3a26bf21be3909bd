package impair

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestProfileValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		p    Profile
		ok   bool
	}{
		{"clean", Profile{}, true},
		{"loss", Profile{Loss: 0.1, Delay: 50 * time.Millisecond, Jitter: 5 * time.Millisecond}, true},
		{"burst", Profile{Burst: &GilbertElliott{PGoodBad: 0.01, PBadGood: 0.3, LossBad: 0.5}}, true},
		{"loss above 1", Profile{Loss: 1.5}, false},
		{"negative loss", Profile{Loss: -0.1}, false},
		{"NaN loss", Profile{Loss: math.NaN()}, false},
		{"burst prob", Profile{Burst: &GilbertElliott{PGoodBad: 2}}, false},
		{"negative delay", Profile{Delay: -time.Millisecond}, false},
		{"huge jitter", Profile{Jitter: time.Hour}, false},
	} {
		err := c.p.Validate()
		if (err == nil) != c.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", c.name, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidProfile) {
			t.Errorf("%s: %v does not wrap ErrInvalidProfile", c.name, err)
		}
	}
}

// The loss models hit their mean within ±0.5 points over 200k packets
// (binomial sd ≈ 0.07 points at 10 %), and bursts are bursty.
func TestFateLossRate(t *testing.T) {
	ge := &GilbertElliott{PGoodBad: 0.02, PBadGood: 0.25, LossBad: 0.5}
	for _, c := range []struct {
		name string
		p    Profile
		want float64
	}{
		{"clean", Profile{}, 0},
		{"3%", Profile{Loss: 0.03}, 0.03},
		{"10%", Profile{Loss: 0.10}, 0.10},
		{"all", Profile{Loss: 1}, 1},
		{"gilbert-elliott", Profile{Burst: ge}, ge.MeanLoss()},
	} {
		f := newFate(c.p)
		const n = 200000
		lost, runs, prev := 0, 0, false
		for range n {
			d := f.drop()
			if d {
				lost++
				if !prev {
					runs++
				}
			}
			prev = d
		}
		got := float64(lost) / n
		if math.Abs(got-c.want) > 0.005 {
			t.Errorf("%s: loss %.4f, want %.4f ± 0.005", c.name, got, c.want)
		}
		if c.p.Burst != nil && runs > 0 {
			if mean := float64(lost) / float64(runs); mean < 1.3 {
				t.Errorf("%s: mean loss run %.2f packets, want bursts (> 1.3)", c.name, mean)
			}
		}
	}
}

func TestFateSeedRepeats(t *testing.T) {
	a, b := newFate(Profile{Loss: 0.3, Jitter: time.Millisecond, Seed: 42}), newFate(Profile{Loss: 0.3, Jitter: time.Millisecond, Seed: 42})
	for i := range 1000 {
		at := time.Duration(i) * time.Millisecond
		if a.drop() != b.drop() || a.delay(at) != b.delay(at) {
			t.Fatalf("packet %d: two fates with one seed differ", i)
		}
	}
}

// Jitter stays within ±Jitter with a mean of zero; in-order jitter never lets
// a later packet leave first.
func TestFateDelayBounds(t *testing.T) {
	// Fixed seeds: the in-order walk averages ~1000 uniform draws over 10 s
	// (σ ≈ 0.09 ms), so a random seed would miss ±0.2 ms a few times in 100.
	for i, reorder := range []bool{true, false, true, false} {
		f := newFate(Profile{Delay: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, Reorder: reorder, Seed: uint64(i + 1)})
		var sum time.Duration
		const n = 100000
		lastDue := time.Duration(0)
		overtaken := 0
		for i := range n {
			at := time.Duration(i) * 100 * time.Microsecond // 10 s at 10 kpps
			d := f.delay(at)
			if d < 15*time.Millisecond || d > 25*time.Millisecond {
				t.Fatalf("reorder=%v: delay %v outside 20ms ± 5ms", reorder, d)
			}
			if at+d < lastDue {
				overtaken++
			}
			lastDue = max(lastDue, at+d)
			sum += d
		}
		if mean := sum / n; mean < 19800*time.Microsecond || mean > 20200*time.Microsecond {
			t.Errorf("reorder=%v: mean delay %v, want 20ms", reorder, mean)
		}
		if reorder != (overtaken > 0) {
			t.Errorf("reorder=%v: %d packets overtaken", reorder, overtaken)
		}
	}
	g := newFate(Profile{Delay: time.Millisecond, Jitter: 10 * time.Millisecond})
	for i := range 1000 {
		if d := g.delay(time.Duration(i) * time.Millisecond); d < 0 {
			t.Fatalf("jitter made a negative delay %v", d)
		}
	}
}

func TestProfileString(t *testing.T) {
	for p, want := range map[*Profile]string{
		{}:          "clean",
		{Loss: 0.1}: "loss 10.0%",
		{Loss: 0.03, Delay: 50 * time.Millisecond, Jitter: 10 * time.Millisecond, Reorder: true}: "loss 3.0% delay 50ms±10ms reorder",
	} {
		if got := p.String(); got != want {
			t.Errorf("%+v: %q, want %q", *p, got, want)
		}
	}
}
