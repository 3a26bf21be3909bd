package impair

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Meter measures the rate a limited link carried from its start, as htb
// counts it (each packet with its SRTP tag, TURN, UDP, IP and link-layer
// headers): the rate the limit is enforced on. An endpoint's getStats bytes
// leave those headers out (~11 % of a 600 kbit/s link at the ~140 packets a
// second a publisher sends there).
type Meter struct {
	s     *Shaper
	port  int
	dir   Direction
	bytes uint64
	at    time.Time
}

// StartMeter starts measuring the limit of port in direction d.
func (s *Shaper) StartMeter(port int, d Direction) (*Meter, error) {
	m := &Meter{s: s, port: port, dir: d}
	var err error
	m.bytes, m.at, err = m.read()
	return m, err
}

// Kbps is the rate since the start, in kbit/s.
func (m *Meter) Kbps() (float64, error) {
	b, at, err := m.read()
	if err != nil {
		return 0, err
	}
	return float64(b-m.bytes) * 8 / 1000 / at.Sub(m.at).Seconds(), nil
}

// read returns the bytes sent and when they were counted: the middle of
// the run of tc (a fork and exec, up to hundreds of milliseconds on a
// loaded machine, which would otherwise be counted as time without bytes).
func (m *Meter) read() (uint64, time.Time, error) {
	before := time.Now()
	b, err := m.s.Sent(m.port, m.dir)
	return b, before.Add(time.Since(before) / 2), err
}

// Sent returns the bytes htb has let through the limit of port in direction
// d since it was set: what the link carried as the kernel counts it (each
// packet with its IP, UDP and link-layer headers), so a link's use is
// measured where its rate is enforced, not from what the endpoints say
// they sent.
func (s *Shaper) Sent(port int, d Direction) (uint64, error) {
	s.mu.Lock()
	minor, ok := s.limits[limitKey{port, d}]
	s.mu.Unlock()
	if !ok {
		return 0, fmt.Errorf("impair: no limit on port %d %v", port, d)
	}
	out, err := s.output("-s", "class", "show", "dev", s.dev, "classid", classID(minor))
	if err != nil {
		return 0, err
	}
	return parseSent(out)
}

var sentRE = regexp.MustCompile(`(?m)^\s*Sent (\d+) bytes \d+ pkt`)

// parseSent reads the byte count of `tc -s class show` for one class.
func parseSent(out []byte) (uint64, error) {
	m := sentRE.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("impair: no byte count in tc's statistics: %q", out)
	}
	n, err := strconv.ParseUint(string(m[1]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("impair: tc's byte count: %w", err)
	}
	return n, nil
}
