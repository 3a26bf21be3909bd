package impair

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
)

// Shaper limits the rate of UDP traffic on lo by port with tc htb: one htb
// class (and a byte-limited fifo) per limited port and direction, picked by a
// u32 filter on the UDP source or destination port. Traffic nobody limits
// passes unshaped (htb's direct queue).
//
// lo has one root qdisc per network namespace, shared by every process in it
// (go test runs packages in parallel), so the root, the class ids and the
// filter priorities are coordinated through a lock file named after the
// namespace; the last Shaper to close removes the root.
type Shaper struct {
	dev  string
	tc   string
	lock string

	mu     sync.Mutex          // guards limits, closed
	limits map[limitKey]uint16 // → htb class minor (also the filter's priority)
	closed bool
}

type limitKey struct {
	port int
	dir  Direction
}

// ShaperOptions configure NewShaper.
type ShaperOptions struct {
	Dev string // default "lo"
	TC  string // tc binary (default: found on $PATH, then /usr/sbin/tc, /sbin/tc)
}

// ErrNotIsolated is returned when the process is not in a loopback-only
// network namespace: shaping there would slow down the host's own traffic.
var ErrNotIsolated = errors.New("impair: the shaper runs only in a loopback-only network namespace (scripts/netns-run.sh)")

// NewShaper checks that tc and htb are usable here. It fails (never skips)
// without tc, without the htb qdisc or without CAP_NET_ADMIN in the namespace.
func NewShaper(o ShaperOptions) (*Shaper, error) {
	if o.Dev == "" {
		o.Dev = "lo"
	}
	if !LoopbackOnly() {
		return nil, ErrNotIsolated
	}
	tc, err := findTC(o.TC)
	if err != nil {
		return nil, err
	}
	lock, err := lockPath()
	if err != nil {
		return nil, err
	}
	s := &Shaper{dev: o.Dev, tc: tc, lock: lock, limits: map[limitKey]uint16{}}
	if err := s.locked(s.ensureRoot); err != nil {
		return nil, err
	}
	return s, nil
}

// Limit caps the traffic of port in direction d at rate bits per second, with
// a queue of queueBytes (0: 250 ms of the rate, at least 15 kB); beyond the
// queue packets are dropped, as on a real bottleneck. Calling it again for
// the same port and direction changes the rate in place (mid-call).
func (s *Shaper) Limit(port int, d Direction, rate uint64, queueBytes int) error {
	if port <= 0 || port > 65535 {
		return fmt.Errorf("impair: port %d out of range", port)
	}
	if rate < 8000 {
		return fmt.Errorf("impair: rate %d bit/s is below 8 kbit/s", rate)
	}
	if queueBytes == 0 {
		queueBytes = max(int(rate/8/4), 15000)
	}
	if queueBytes < 1600 {
		return fmt.Errorf("impair: queue %d B holds no full packet", queueBytes)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("impair: shaper closed")
	}
	k := limitKey{port, d}
	class := htbClassArgs(rate)
	if minor, ok := s.limits[k]; ok {
		return s.locked(func() error {
			if err := s.run(append([]string{"class", "change", "dev", s.dev, "parent", "1:", "classid", classID(minor)}, class...)...); err != nil {
				return err
			}
			return s.run("qdisc", "change", "dev", s.dev, "parent", classID(minor), "handle", qdiscHandle(minor), "bfifo", "limit", strconv.Itoa(queueBytes))
		})
	}
	return s.locked(func() error {
		minor, err := s.freeMinor()
		if err != nil {
			return err
		}
		if err := s.run(append([]string{"class", "add", "dev", s.dev, "parent", "1:", "classid", classID(minor)}, class...)...); err != nil {
			return err
		}
		if err := s.run("qdisc", "add", "dev", s.dev, "parent", classID(minor), "handle", qdiscHandle(minor), "bfifo", "limit", strconv.Itoa(queueBytes)); err != nil {
			_ = s.run("class", "del", "dev", s.dev, "classid", classID(minor))
			return err
		}
		field := "dport"
		if d == Down {
			field = "sport"
		}
		if err := s.run("filter", "add", "dev", s.dev, "parent", "1:", "protocol", "ip", "prio", strconv.Itoa(int(minor)),
			"u32", "match", "ip", "protocol", "17", "0xff", "match", "ip", field, strconv.Itoa(port), "0xffff", "flowid", classID(minor)); err != nil {
			_ = s.run("class", "del", "dev", s.dev, "classid", classID(minor))
			return err
		}
		s.limits[k] = minor
		return nil
	})
}

// Unlimit removes the limit of port in direction d (no error if none).
func (s *Shaper) Unlimit(port int, d Direction) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	minor, ok := s.limits[limitKey{port, d}]
	if !ok {
		return nil
	}
	delete(s.limits, limitKey{port, d})
	return s.locked(func() error { return s.remove(minor) })
}

// Close removes this Shaper's limits, and the root qdisc when no other
// process's limits remain.
func (s *Shaper) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.locked(func() error {
		var errs []error
		for k, minor := range s.limits {
			errs = append(errs, s.remove(minor))
			delete(s.limits, k)
		}
		used, err := s.usedMinors()
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		if len(used) == 0 {
			errs = append(errs, s.run("qdisc", "del", "dev", s.dev, "root"))
		}
		return errors.Join(errs...)
	})
}

func (s *Shaper) remove(minor uint16) error {
	return errors.Join(
		s.run("filter", "del", "dev", s.dev, "parent", "1:", "prio", strconv.Itoa(int(minor))),
		s.run("class", "del", "dev", s.dev, "classid", classID(minor)))
}

// ensureRoot adds the htb root unless one is there already.
func (s *Shaper) ensureRoot() error {
	out, err := s.output("qdisc", "show", "dev", s.dev)
	if err != nil {
		return err
	}
	if regexp.MustCompile(`(?m)^qdisc htb 1: root`).Match(out) {
		return nil
	}
	// No "default": unclassified traffic bypasses the classes (direct queue).
	err = s.run("qdisc", "add", "dev", s.dev, "root", "handle", "1:", "htb", "direct_qlen", "10000")
	if err != nil && bytes.Contains([]byte(err.Error()), []byte("unknown")) {
		return fmt.Errorf("impair: this kernel has no htb qdisc (sch_htb): %w", err)
	}
	return err
}

var classRE = regexp.MustCompile(`(?m)^class htb 1:([0-9a-f]+) `)

func (s *Shaper) usedMinors() (map[uint16]bool, error) {
	out, err := s.output("class", "show", "dev", s.dev)
	if err != nil {
		return nil, err
	}
	used := map[uint16]bool{}
	for _, m := range classRE.FindAllSubmatch(out, -1) {
		v, _ := strconv.ParseUint(string(m[1]), 16, 16)
		used[uint16(v)] = true
	}
	return used, nil
}

// freeMinor picks a class minor no process in the namespace uses. It is also
// the u32 filter's priority, so a filter can be deleted on its own.
func (s *Shaper) freeMinor() (uint16, error) {
	used, err := s.usedMinors()
	if err != nil {
		return 0, err
	}
	for m := uint16(0x10); m < 0xfff0; m++ {
		if !used[m] {
			return m, nil
		}
	}
	return 0, errors.New("impair: no free htb class")
}

// htbClassArgs: rate = ceil (no borrowing), a burst of 10 ms of the rate (at
// least two full packets) so the rate holds at 1 ms timer granularity.
func htbClassArgs(rate uint64) []string {
	burst := max(int(rate/8/100), 3200)
	r := strconv.FormatUint(rate, 10) + "bit"
	return []string{"htb", "rate", r, "ceil", r, "burst", strconv.Itoa(burst), "cburst", strconv.Itoa(burst), "quantum", "1514"}
}

func classID(minor uint16) string     { return "1:" + strconv.FormatUint(uint64(minor), 16) }
func qdiscHandle(minor uint16) string { return strconv.FormatUint(uint64(minor), 16) + ":" }

func (s *Shaper) run(args ...string) error {
	_, err := s.output(args...)
	return err
}

func (s *Shaper) output(args ...string) ([]byte, error) {
	cmd := exec.Command(s.tc, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("impair: tc %v: %w: %s", args, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

// locked runs f holding the namespace's lock file (flock), so that shapers in
// other processes of the same namespace see a consistent set of classes.
func (s *Shaper) locked(f func() error) error {
	fd, err := os.OpenFile(s.lock, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("impair: lock file: %w", err)
	}
	defer fd.Close()
	if err := syscall.Flock(int(fd.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("impair: lock %s: %w", s.lock, err)
	}
	defer func() { _ = syscall.Flock(int(fd.Fd()), syscall.LOCK_UN) }()
	return f()
}

// lockPath names the lock after the network namespace (its inode), so two
// namespaces never wait for each other.
func lockPath() (string, error) {
	fi, err := os.Stat("/proc/self/ns/net")
	if err != nil {
		return "", fmt.Errorf("impair: network namespace: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", errors.New("impair: network namespace inode unavailable")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("gorento-impair-netns-%d.lock", st.Ino)), nil
}

func findTC(path string) (string, error) {
	if path != "" {
		return path, nil
	}
	if p, err := exec.LookPath("tc"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/tc", "/sbin/tc"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("impair: tc not found (Debian package iproute2)")
}

// LoopbackOnly reports whether every network interface of this process's
// namespace is a loopback one (as inside scripts/netns-run.sh).
func LoopbackOnly() bool {
	ifs, err := net.Interfaces()
	if err != nil || len(ifs) == 0 {
		return false
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback == 0 {
			return false
		}
	}
	return true
}
