package udpx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"
)

// Tests send on 127.0.0.1 and ::1 only (run them inside scripts/netns-run.sh).

// receiver is a plain UDP socket that collects what a Batch sends it.
type receiver struct {
	uc *net.UDPConn
	ap netip.AddrPort
}

func newReceiver(t testing.TB, network, addr string) *receiver {
	t.Helper()
	ua, err := net.ResolveUDPAddr(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	uc, err := net.ListenUDP(network, ua)
	if err != nil {
		t.Fatal(err)
	}
	_ = uc.SetReadBuffer(8 << 20)
	t.Cleanup(func() { uc.Close() })
	return &receiver{uc: uc, ap: uc.LocalAddr().(*net.UDPAddr).AddrPort()}
}

// expect reads len(want) datagrams and compares them, in order, with want.
func (r *receiver) expect(t *testing.T, from netip.AddrPort, want [][]byte) {
	t.Helper()
	buf := make([]byte, 70000)
	for i, w := range want {
		_ = r.uc.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, src, err := r.uc.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("%v: datagram %d of %d: %v", r.ap, i, len(want), err)
		}
		if src.Port() != from.Port() {
			t.Fatalf("%v: datagram %d from %v, want %v", r.ap, i, src, from)
		}
		if !bytes.Equal(buf[:n], w) {
			t.Fatalf("%v: datagram %d: got %d bytes %x…, want %d bytes %x…", r.ap, i, n, buf[:min(n, 16)], len(w), w[:min(len(w), 16)])
		}
	}
	_ = r.uc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, _, err := r.uc.ReadFromUDPAddrPort(buf); err == nil {
		t.Fatalf("%v: an extra datagram of %d bytes", r.ap, n)
	}
}

func listen(t testing.TB, network, addr string, o Options) *Conn {
	t.Helper()
	c, err := Listen(network, addr, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// queue reserves, fills and commits one datagram: 4-byte destination
// number, 4-byte sequence number, then pseudo-random bytes.
func queue(t testing.TB, b *Batch, d *Dest, dest, seq, size int, r *rand.Rand) []byte {
	t.Helper()
	room, err := b.Reserve(d, size)
	if err != nil {
		t.Fatal(err)
	}
	binary.BigEndian.PutUint32(room, uint32(dest))
	binary.BigEndian.PutUint32(room[4:], uint32(seq))
	for i := 8; i < size; i++ {
		room[i] = byte(r.Uint32())
	}
	b.Commit(size)
	return append([]byte(nil), room[:size]...)
}

// trafficPlan queues n datagrams over the destinations: runs of equal sizes
// (GSO candidates) ending with a shorter one now and then, single datagrams
// of random sizes, interleaved destinations; flushes at random points.
func sendPlan(t *testing.T, b *Batch, dests []*Dest, n int, seed uint64) [][][]byte {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	want := make([][][]byte, len(dests))
	seq := 0
	for seq < n {
		di := r.IntN(len(dests))
		switch r.IntN(3) {
		case 0: // a run of a frame's packets to one viewer
			size := 200 + r.IntN(1100)
			run := 1 + r.IntN(12)
			for k := 0; k < run && seq < n; k++ {
				s := size
				if k == run-1 && r.IntN(2) == 0 {
					s = 9 + r.IntN(size-8) // last packet of the frame: shorter
				}
				want[di] = append(want[di], queue(t, b, dests[di], di, seq, s, r))
				seq++
			}
		default:
			want[di] = append(want[di], queue(t, b, dests[di], di, seq, 9+r.IntN(1400), r))
			seq++
		}
		if r.IntN(10) == 0 {
			if err := b.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	return want
}

func TestBatchDelivers(t *testing.T) {
	for _, fam := range []struct{ name, network, addr string }{
		{"ipv4", "udp4", "127.0.0.1:0"},
		{"ipv6", "udp6", "[::1]:0"},
	} {
		for _, mode := range []struct{ gso, ordinary bool }{{true, false}, {false, false}, {true, true}} {
			gso := mode.gso
			t.Run(fmt.Sprintf("%s/gso=%v/ordinary=%v", fam.name, gso, mode.ordinary), func(t *testing.T) {
				c := listen(t, fam.network, fam.addr, Options{NoGSO: !gso, OrdinarySend: mode.ordinary})
				if (c.rc == nil) != mode.ordinary {
					t.Fatalf("raw system calls: %v, want %v", c.rc != nil, !mode.ordinary)
				}
				if gso && !c.GSO() {
					t.Fatal("the kernel has no UDP_SEGMENT on this socket (Linux 4.18+ expected)")
				}
				recvs := []*receiver{newReceiver(t, fam.network, fam.addr), newReceiver(t, fam.network, fam.addr), newReceiver(t, fam.network, fam.addr)}
				dests := make([]*Dest, len(recvs))
				for i, r := range recvs {
					dests[i] = c.Dest(r.ap)
				}
				// Small limits so that Reserve's own flushes (full message
				// list, full arena) are exercised too.
				b := NewBatch(BatchOptions{MaxMessages: 16, ArenaBytes: 32 << 10,
					OnError: func(d *Dest, n int, err error) { t.Errorf("%v: %d datagrams: %v", d.AddrPort(), n, err) }})
				const total = 600
				want := sendPlan(t, b, dests, total, 42)
				for i, r := range recvs {
					r.expect(t, c.LocalAddrPort(), want[i])
				}
				st := c.Stats()
				if st.DatagramsSent != total || st.SendErrors != 0 {
					t.Errorf("stats: %+v, want %d datagrams sent", st, total)
				}
				if gso && st.GSOMessages == 0 {
					t.Error("no GSO message was sent")
				}
				if !gso && st.GSOMessages != 0 {
					t.Errorf("%d GSO messages with GSO off", st.GSOMessages)
				}
				if st.BatchCalls >= total/2 {
					t.Errorf("%d sendmmsg calls for %d datagrams", st.BatchCalls, total)
				}
				t.Logf("%s gso=%v: %d datagrams in %d sendmmsg calls, %d GSO messages", fam.name, gso, total, st.BatchCalls, st.GSOMessages)
			})
		}
	}
}

// A dual-stack socket (bound to [::]) reaches IPv4 destinations.
func TestBatchDualStack(t *testing.T) {
	c := listen(t, "udp", "[::]:0", Options{})
	r4, r6 := newReceiver(t, "udp4", "127.0.0.1:0"), newReceiver(t, "udp6", "[::1]:0")
	b := NewBatch(BatchOptions{OnError: func(d *Dest, n int, err error) { t.Errorf("%v: %v", d.AddrPort(), err) }})
	want := sendPlan(t, b, []*Dest{c.Dest(r4.ap), c.Dest(r6.ap)}, 200, 7)
	r4.expect(t, c.LocalAddrPort(), want[0])
	r6.expect(t, c.LocalAddrPort(), want[1])
}

// One batch over two sockets keeps each destination's order.
func TestBatchSeveralConns(t *testing.T) {
	c4 := listen(t, "udp4", "127.0.0.1:0", Options{})
	c6 := listen(t, "udp6", "[::1]:0", Options{})
	r4a, r4b, r6 := newReceiver(t, "udp4", "127.0.0.1:0"), newReceiver(t, "udp4", "127.0.0.1:0"), newReceiver(t, "udp6", "[::1]:0")
	b := NewBatch(BatchOptions{MaxMessages: 8, OnError: func(d *Dest, n int, err error) { t.Errorf("%v: %v", d.AddrPort(), err) }})
	want := sendPlan(t, b, []*Dest{c4.Dest(r4a.ap), c6.Dest(r6.ap), c4.Dest(r4b.ap)}, 300, 9)
	r4a.expect(t, c4.LocalAddrPort(), want[0])
	r6.expect(t, c6.LocalAddrPort(), want[1])
	r4b.expect(t, c4.LocalAddrPort(), want[2])
}

// A message the kernel refuses is reported with its destination; the
// messages around it still go.
func TestBatchErrorsPerMessage(t *testing.T) {
	c := listen(t, "udp4", "127.0.0.1:0", Options{})
	good := newReceiver(t, "udp4", "127.0.0.1:0")
	gd := c.Dest(good.ap)
	bad := c.Dest(netip.MustParseAddrPort("[::1]:9")) // IPv6 from an IPv4 socket
	type report struct {
		d *Dest
		n int
	}
	var reports []report
	b := NewBatch(BatchOptions{OnError: func(d *Dest, n int, err error) { reports = append(reports, report{d, n}) }})
	r := rand.New(rand.NewPCG(1, 1))
	var want [][]byte
	for i := range 20 {
		want = append(want, queue(t, b, gd, 0, i, 500, r))
		if i == 5 {
			queue(t, b, bad, 1, 100, 300, r) // one datagram
		}
		if i == 12 {
			for k := range 4 { // a GSO run of 4
				queue(t, b, bad, 1, 200+k, 300, r)
			}
		}
	}
	err := b.Flush()
	if err == nil {
		t.Fatal("Flush reported no error")
	}
	t.Logf("Flush: %v", err)
	good.expect(t, c.LocalAddrPort(), want)
	total := 0
	for _, rep := range reports {
		if rep.d != bad {
			t.Errorf("error reported for %v", rep.d.AddrPort())
		}
		total += rep.n
	}
	if total != 5 {
		t.Errorf("%d failed datagrams reported (%v), want 5", total, reports)
	}
}

// EIO on a GSO message (a device that cannot segment) turns GSO off for the
// socket and sends the message's datagrams one by one; nothing is lost.
func TestGSOFallbackOnEIO(t *testing.T) {
	c := listen(t, "udp4", "127.0.0.1:0", Options{})
	if !c.GSO() {
		t.Fatal("no UDP_SEGMENT on this kernel")
	}
	real := c.writeBatch
	eios := 0
	c.writeBatch = func(b *Batch, lo, hi int) (int, error) {
		if len(b.msgs[lo].OOB) > 0 {
			eios++
			return -1, &net.OpError{Op: "write", Net: "udp", Err: syscall.EIO}
		}
		return real(b, lo, hi)
	}
	rcv := newReceiver(t, "udp4", "127.0.0.1:0")
	b := NewBatch(BatchOptions{OnError: func(d *Dest, n int, err error) { t.Errorf("%v: %v", d.AddrPort(), err) }})
	want := sendPlan(t, b, []*Dest{c.Dest(rcv.ap)}, 300, 3)
	rcv.expect(t, c.LocalAddrPort(), want[0])
	if c.GSO() {
		t.Error("GSO still on after EIO")
	}
	if eios != 1 {
		t.Errorf("%d GSO messages tried after EIO, want 1", eios)
	}
}

func TestBatchClosedConn(t *testing.T) {
	c := listen(t, "udp4", "127.0.0.1:0", Options{})
	rcv := newReceiver(t, "udp4", "127.0.0.1:0")
	failed := 0
	b := NewBatch(BatchOptions{OnError: func(d *Dest, n int, err error) {
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("error %v, want net.ErrClosed", err)
		}
		failed += n
	}})
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 10 {
		queue(t, b, c.Dest(rcv.ap), 0, i, 100+i, r)
	}
	c.Close()
	if err := b.Flush(); err == nil {
		t.Error("Flush on a closed socket reported nothing")
	}
	if failed != 10 {
		t.Errorf("%d datagrams reported failed, want 10", failed)
	}
}

func TestReserveLimits(t *testing.T) {
	c := listen(t, "udp4", "127.0.0.1:0", Options{})
	b := NewBatch(BatchOptions{ArenaBytes: 4096})
	d := c.Dest(netip.MustParseAddrPort("127.0.0.1:9"))
	for _, n := range []int{0, -1, 4097, MaxDatagram + 1} {
		if _, err := b.Reserve(d, n); !errors.Is(err, ErrTooLarge) {
			t.Errorf("Reserve(%d): %v, want ErrTooLarge", n, err)
		}
	}
	room, err := b.Reserve(d, 100)
	if err != nil || len(room) != 100 || cap(room) != 100 {
		t.Fatalf("Reserve(100) = %d/%d bytes, %v", len(room), cap(room), err)
	}
	b.Commit(0) // dropped
	if b.Len() != 0 {
		t.Errorf("Len after Commit(0) = %d", b.Len())
	}
}

// Steady state: queueing and flushing allocates nothing.
func TestBatchAllocations(t *testing.T) {
	c := listen(t, "udp4", "127.0.0.1:0", Options{})
	if !c.GSO() {
		t.Fatal("no UDP_SEGMENT on this kernel")
	}
	var dests []*Dest
	for range 8 {
		dests = append(dests, c.Dest(newReceiver(t, "udp4", "127.0.0.1:0").ap))
	}
	b := NewBatch(BatchOptions{})
	round := func() {
		for i := range 64 {
			room, _ := b.Reserve(dests[i/8], 1200) // runs of 8: GSO
			b.Commit(len(room))
		}
		for i := range 64 {
			room, _ := b.Reserve(dests[i%8], 1200) // interleaved: sendmmsg
			b.Commit(len(room))
		}
		if err := b.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	round() // warm x/net's pool
	// Under the race detector sync.Pool drops items at random, so x/net's
	// sendmmsg temporaries are sometimes made again: allow a few per round,
	// still far below one per datagram.
	limit := 0.0
	if raceEnabled {
		limit = 8
	}
	if a := testing.AllocsPerRun(50, round); a > limit {
		t.Errorf("%v allocations per round of 128 datagrams, want at most %v", a, limit)
	}
}
