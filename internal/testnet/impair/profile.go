package impair

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Direction of a packet, seen from the peer that owns the port (a relay's client).
type Direction int

const (
	// Up is what the peer sends: packets to the port.
	Up Direction = iota
	// Down is what the peer receives: packets from the port.
	Down
)

func (d Direction) String() string {
	switch d {
	case Up:
		return "up"
	case Down:
		return "down"
	}
	return fmt.Sprintf("Direction(%d)", int(d))
}

// Profile is the impairment of one direction. The zero Profile is a clean link.
type Profile struct {
	// Loss is the probability (0–1) that a packet is dropped, independently of
	// the others (Bernoulli). Ignored when Burst is set.
	Loss float64 `json:"loss,omitempty"`
	// Burst, when set, drops packets in bursts (Gilbert–Elliott).
	Burst *GilbertElliott `json:"burst,omitempty"`
	// Delay is added to every packet (one way).
	Delay time.Duration `json:"delay,omitempty"`
	// Jitter varies the delay within [-Jitter, +Jitter] (never below 0), with
	// a mean of zero.
	Jitter time.Duration `json:"jitter,omitempty"`
	// Reorder draws the jitter of every packet independently (uniform), so
	// packets closer than the jitter overtake each other. Without it the
	// jitter is a random walk in time (a new random target every 2·Jitter,
	// linear in between, so it never changes faster than time passes): the
	// delay varies like a queue's, and packets keep their order.
	Reorder bool `json:"reorder,omitempty"`
	// Seed makes the random choices repeatable; 0 picks a random seed.
	Seed uint64 `json:"seed,omitempty"`
}

// GilbertElliott is a two-state loss model: in the good state packets are lost
// with LossGood, in the bad state with LossBad; after each packet the state
// flips with PGoodBad (good→bad) or PBadGood (bad→good). The mean loss is
// (PBadGood·LossGood + PGoodBad·LossBad) / (PGoodBad + PBadGood).
type GilbertElliott struct {
	PGoodBad float64 `json:"pGoodBad"`
	PBadGood float64 `json:"pBadGood"`
	LossGood float64 `json:"lossGood,omitempty"`
	LossBad  float64 `json:"lossBad"`
}

// MeanLoss is the long-run loss rate of the model.
func (g GilbertElliott) MeanLoss() float64 {
	if g.PGoodBad+g.PBadGood == 0 {
		return g.LossGood
	}
	return (g.PBadGood*g.LossGood + g.PGoodBad*g.LossBad) / (g.PGoodBad + g.PBadGood)
}

// ErrInvalidProfile is wrapped by every Profile validation error.
var ErrInvalidProfile = errors.New("invalid impairment profile")

// Validate reports a probability outside 0–1 or a negative duration.
func (p Profile) Validate() error {
	prob := func(name string, v float64) error {
		if v < 0 || v > 1 || v != v {
			return fmt.Errorf("%w: %s %v is not a probability (0–1)", ErrInvalidProfile, name, v)
		}
		return nil
	}
	if err := prob("loss", p.Loss); err != nil {
		return err
	}
	if g := p.Burst; g != nil {
		for _, c := range []struct {
			n string
			v float64
		}{{"burst.pGoodBad", g.PGoodBad}, {"burst.pBadGood", g.PBadGood}, {"burst.lossGood", g.LossGood}, {"burst.lossBad", g.LossBad}} {
			if err := prob(c.n, c.v); err != nil {
				return err
			}
		}
	}
	if p.Delay < 0 || p.Jitter < 0 {
		return fmt.Errorf("%w: negative delay %v or jitter %v", ErrInvalidProfile, p.Delay, p.Jitter)
	}
	if p.Delay > time.Minute || p.Jitter > time.Minute {
		return fmt.Errorf("%w: delay %v or jitter %v above one minute", ErrInvalidProfile, p.Delay, p.Jitter)
	}
	return nil
}

// String is a short human form, e.g. "loss 10% delay 50ms±10ms".
func (p Profile) String() string {
	s := ""
	switch {
	case p.Burst != nil:
		s += fmt.Sprintf("burst loss %.1f%%", 100*p.Burst.MeanLoss())
	case p.Loss > 0:
		s += fmt.Sprintf("loss %.1f%%", 100*p.Loss)
	}
	if p.Delay > 0 || p.Jitter > 0 {
		if s != "" {
			s += " "
		}
		s += "delay " + p.Delay.String()
		if p.Jitter > 0 {
			s += "±" + p.Jitter.String()
		}
		if p.Reorder {
			s += " reorder"
		}
	}
	if s == "" {
		return "clean"
	}
	return s
}

// fate decides what happens to each packet of one direction. Not safe for
// concurrent use: its owner (a pipe) holds a lock around it.
type fate struct {
	p   Profile
	rng *rand.Rand
	bad bool // Gilbert–Elliott state

	// In-order jitter: the offset goes linearly from j0 at t0 to j1 at t0+2·Jitter.
	t0     time.Duration
	j0, j1 time.Duration
	walkOn bool
}

func newFate(p Profile) fate {
	seed := p.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	return fate{p: p, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// drop reports whether the next packet is lost.
func (f *fate) drop() bool {
	g := f.p.Burst
	if g == nil {
		return f.p.Loss > 0 && f.rng.Float64() < f.p.Loss
	}
	loss := g.LossGood
	if f.bad {
		loss = g.LossBad
	}
	lost := loss > 0 && f.rng.Float64() < loss
	if f.bad {
		f.bad = f.rng.Float64() >= g.PBadGood
	} else {
		f.bad = f.rng.Float64() < g.PGoodBad
	}
	return lost
}

// delay is the one-way delay of a packet sent at t (time since the pipe's start).
func (f *fate) delay(t time.Duration) time.Duration {
	d := f.p.Delay
	if j := f.p.Jitter; j > 0 {
		if f.p.Reorder {
			d += f.uniform(j)
		} else {
			d += f.walk(t, j)
		}
	}
	return max(d, 0)
}

func (f *fate) uniform(j time.Duration) time.Duration {
	return time.Duration(f.rng.Int64N(int64(2*j)+1)) - j
}

// walk is the in-order jitter at t: its slope stays within ±1, so t+walk(t)
// never decreases and no packet overtakes another.
func (f *fate) walk(t, j time.Duration) time.Duration {
	period := 2 * j
	if !f.walkOn || t-f.t0 >= 2*period {
		f.walkOn, f.t0, f.j0, f.j1 = true, t, f.uniform(j), f.uniform(j)
	}
	for t-f.t0 >= period {
		f.t0, f.j0, f.j1 = f.t0+period, f.j1, f.uniform(j)
	}
	return f.j0 + time.Duration(float64(f.j1-f.j0)*float64(t-f.t0)/float64(period))
}
