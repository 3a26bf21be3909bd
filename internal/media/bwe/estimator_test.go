package bwe

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

const sec = int64(time.Second)

// The estimator on synthetic links: how fast it finds the capacity, how fast
// it backs off when the capacity drops, and what loss does to it.
func TestEstimatorScenarios(t *testing.T) {
	for _, c := range []struct {
		name     string
		link     simLink
		cfg      Config
		duration int64
		check    func(t *testing.T, s *sim)
	}{
		{name: "ramp-up on a clean 2.5 Mb/s link", link: simLink{capacity: constant(2.5e6)}, duration: 30 * sec,
			check: func(t *testing.T, s *sim) {
				reach(t, s, 0.8*2.5e6, 0, 10*sec)
				band(t, s, 10*sec, 30*sec, 0.8*2.5e6, 1.1*2.5e6)
			}},
		{name: "800 kbit/s link", link: simLink{capacity: constant(800e3)}, duration: 30 * sec,
			check: func(t *testing.T, s *sim) {
				reach(t, s, 0.8*800e3, 0, 10*sec)
				band(t, s, 10*sec, 30*sec, 0.8*800e3, 1.1*800e3)
				used(t, s, 10*sec, 30*sec, 0.75*800e3)
			}},
		{name: "capacity 3 Mb/s → 600 kbit/s", link: simLink{capacity: step(3e6, 600e3, 20*sec)}, duration: 45 * sec,
			check: func(t *testing.T, s *sim) {
				reach(t, s, 0.8*3e6, 0, 10*sec)
				backOff(t, s, 1.1*600e3, 20*sec, 1200*ms)
				band(t, s, 30*sec, 45*sec, 0.8*600e3, 1.15*600e3)
				used(t, s, 30*sec, 45*sec, 0.8*600e3)
			}},
		{name: "delay step +100 ms on 2.5 Mb/s", link: simLink{capacity: constant(2.5e6), delay: func(t int64) int64 {
			if t < 20*sec {
				return 20 * ms
			}
			return 120 * ms
		}}, duration: 40 * sec,
			check: func(t *testing.T, s *sim) {
				reach(t, s, 0.8*2.5e6, 0, 10*sec)
				band(t, s, 30*sec, 40*sec, 0.8*2.5e6, 1.1*2.5e6)
			}},
		{name: "10 % random loss on 2.5 Mb/s", link: simLink{capacity: constant(2.5e6), loss: 0.10}, duration: 40 * sec,
			check: func(t *testing.T, s *sim) {
				reach(t, s, 0.8*2.5e6, 0, 10*sec)
				band(t, s, 10*sec, 40*sec, 0.7*2.5e6, 1.1*2.5e6)
			}},
		{name: "3 % random loss on 2.5 Mb/s", link: simLink{capacity: constant(2.5e6), loss: 0.03}, duration: 30 * sec,
			check: func(t *testing.T, s *sim) {
				reach(t, s, 0.8*2.5e6, 0, 10*sec)
				band(t, s, 10*sec, 30*sec, 0.8*2.5e6, 1.1*2.5e6)
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 3; seed++ {
				s := newSim(c.cfg, c.link, seed)
				s.run(0, c.duration)
				t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
					c.check(t, s)
					if t.Failed() || testing.Verbose() {
						t.Log(s.summary())
					}
				})
			}
		})
	}
}

// reach: the target is ≥ v within `within` of from.
func reach(t *testing.T, s *sim, v float64, from, within int64) {
	t.Helper()
	at := s.firstAtLeast(v, from)
	if at < 0 || at-from > within {
		t.Errorf("target reached %.0f kbit/s %s after %v, want within %v", v/1e3, describe(at, from), time.Duration(at-from), time.Duration(within))
	}
}

// backOff: the target falls to ≤ v within `within` of from.
func backOff(t *testing.T, s *sim, v float64, from, within int64) {
	t.Helper()
	at := s.firstAtMost(v, from)
	if at < 0 || at-from > within {
		t.Errorf("target fell to %.0f kbit/s %s, want within %v", v/1e3, describe(at, from), time.Duration(within))
	} else {
		t.Logf("backed off to ≤ %.0f kbit/s in %v", v/1e3, time.Duration(at-from))
	}
}

// band: the mean target over [from, to) lies in [lo, hi].
func band(t *testing.T, s *sim, from, to int64, lo, hi float64) {
	t.Helper()
	if m := s.meanTarget(from, to); m < lo || m > hi {
		t.Errorf("mean target %.0f kbit/s over %v–%v, want %.0f–%.0f", m/1e3, time.Duration(from), time.Duration(to), lo/1e3, hi/1e3)
	}
}

// used: the bottleneck delivered at least v over [from, to).
func used(t *testing.T, s *sim, from, to int64, v float64) {
	t.Helper()
	if g := s.goodput(from, to); g < v {
		t.Errorf("delivered %.0f kbit/s over %v–%v, want ≥ %.0f", g/1e3, time.Duration(from), time.Duration(to), v/1e3)
	}
}

func describe(at, from int64) string {
	if at < 0 {
		return "never"
	}
	return time.Duration(at - from).String()
}

// summary: the target once a second, for failures and -v.
func (s *sim) summary() string {
	var b strings.Builder
	for _, p := range s.trace {
		if p.t%(sec/2) == 0 {
			fmt.Fprintf(&b, "\n%5.1fs target %5.0f (delay %5.0f bound %5.0f) ack %5.0f %-10s loss %.3f alr %-5v queue %3dms", float64(p.t)/1e9, p.target/1e3, p.delay/1e3, p.bound/1e3, p.ack/1e3, p.usage, p.lossSample, p.alr, p.delayedByQueue/ms)
		}
	}
	probes := map[string]int{}
	for _, c := range s.send.probes {
		probes[c.Reason]++
	}
	fmt.Fprintf(&b, "\nprobes %v, link drops %d, state %v", probes, s.link.drops, s.est.State())
	return b.String()
}

// An application-limited sender (a low layer) is in ALR, gets periodic ALR
// probes, and when it wants more the estimate is already near the capacity.
func TestEstimatorALR(t *testing.T) {
	s := newSim(Config{Initial: 300_000}, simLink{capacity: constant(3e6)}, 1)
	s.send.sourceMax = step(250e3, 1e9, 20*sec)
	s.run(0, 30*sec)
	alr := 0
	for _, p := range s.trace {
		if p.t >= 5*sec && p.t < 20*sec && p.alr {
			alr++
		}
	}
	if alr < 140 { // of 150 samples
		t.Errorf("in ALR %d/150 samples while sending 250 kbit/s of an estimate of %.0f", alr, s.meanTarget(5*sec, 20*sec))
	}
	reasons := map[string]int{}
	for _, c := range s.send.probes {
		reasons[c.Reason]++
	}
	if reasons["alr"] < 2 || reasons["alr-exit"] != 1 {
		t.Errorf("probes %v: want periodic ALR probes and one on ALR exit", reasons)
	}
	reach(t, s, 0.8*3e6, 20*sec, 3*sec)
	if t.Failed() || testing.Verbose() {
		t.Log(s.summary())
	}
}

// Without feedback the estimate falls 20 % per half time-out, to Min.
func TestEstimatorFeedbackTimeout(t *testing.T) {
	s := newSim(Config{}, simLink{capacity: constant(2.5e6)}, 1)
	s.noFB = func(t int64) bool { return t >= 10*sec }
	s.run(0, 20*sec)
	before := s.meanTarget(9*sec, 10*sec)
	if after := s.meanTarget(13*sec, 13*sec+ms*100); after > 0.5*before {
		t.Errorf("target %.0f kbit/s 3 s after the feedback stopped (was %.0f)", after/1e3, before/1e3)
	}
	if last := s.trace[len(s.trace)-1].target; last != 50_000 {
		t.Errorf("target %.0f after 10 s without feedback, want the minimum", last)
	}
}

// A short capacity dip makes a large drop; once the path recovers a probe at
// 85 % of the rate before the drop brings the estimate back.
func TestEstimatorRecoveryProbe(t *testing.T) {
	s := newSim(Config{}, simLink{capacity: func(t int64) float64 {
		if t >= 15*sec && t < 16*sec {
			return 300e3
		}
		return 2.5e6
	}}, 1)
	s.run(0, 30*sec)
	n := 0
	for _, c := range s.send.probes {
		if c.Reason == "recovery" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d recovery probes, want 1", n)
	}
	reach(t, s, 0.8*2.5e6, 16*sec, 4*sec)
	if t.Failed() || testing.Verbose() {
		t.Log(s.summary())
	}
}

// Probes the allocator asks for: none while the estimate allows the rate,
// and a back-off (2 s, doubling) while the path cannot deliver it.
func TestEstimatorRequestProbe(t *testing.T) {
	s := newSim(Config{Initial: 300_000, Max: 6_000_000}, simLink{capacity: constant(3e6)}, 1)
	s.send.sourceMax = constant(300e3)
	s.run(0, 5*sec)
	s.est.RequestProbe(1_000_000, 5*sec) // below the estimate: nothing to do
	s.run(5*sec, 10*sec)
	s.est.RequestProbe(5_000_000, 10*sec) // beyond the link
	s.run(10*sec, 40*sec)
	var at []time.Duration
	for _, c := range s.send.probes {
		if c.Reason == "request" {
			if c.Bitrate != 5_500_000 {
				t.Errorf("request probe at %d bit/s, want 110 %% of 5 Mbit/s", c.Bitrate)
			}
		}
	}
	for _, p := range s.probeLog {
		if p.reason == "request" {
			at = append(at, time.Duration(p.t))
		}
	}
	// 10 s, 12, 16, 24: four in 30 s (without a back-off: one per result).
	if len(at) < 3 || len(at) > 5 || at[0] < 10*time.Second {
		t.Errorf("request probes at %v, want a doubling back-off from 10 s", at)
	}
}
