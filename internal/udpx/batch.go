package udpx

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/net/ipv4"
)

// Limits of one message: the largest UDP payload, and what one GSO message
// may carry (the kernel's UDP_MAX_SEGMENTS is 64 on older kernels, and the
// whole must fit in one 64 KiB IP datagram before segmentation).
const (
	MaxDatagram    = 65507
	maxGSOSegments = 64
	maxGSOBytes    = 65000
)

// ErrTooLarge is returned by Reserve for a datagram over MaxDatagram bytes
// or over the batch's arena.
var ErrTooLarge = errors.New("udpx: datagram too large")

// Dest is one remote address on one Conn. Make it when the path is chosen
// (Conn.Dest), never per packet: it holds the address in the form the batch
// hands to the kernel without allocating.
type Dest struct {
	conn *Conn
	ap   netip.AddrPort
	addr *net.UDPAddr
	sa   sockaddr // the address as the kernel takes it (send_linux.go)
}

// Dest returns the destination ap reached through c.
func (c *Conn) Dest(ap netip.AddrPort) *Dest {
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	return &Dest{conn: c, ap: ap, addr: net.UDPAddrFromAddrPort(ap), sa: makeSockaddr(c.local, ap)}
}

// AddrPort is the remote address.
func (d *Dest) AddrPort() netip.AddrPort { return d.ap }

// Conn is the socket the destination is reached through.
func (d *Dest) Conn() *Conn { return d.conn }

// BatchOptions configure a Batch. The zero value takes the defaults.
type BatchOptions struct {
	// MaxMessages is how many messages one sendmmsg carries (default 64). A
	// GSO message carries up to 64 datagrams, so a flush may send more.
	MaxMessages int
	// ArenaBytes is the buffer the datagrams are written into (default 128 KiB).
	ArenaBytes int
	// OnError is told about every message that could not be sent, with its
	// destination and number of datagrams; the rest of the batch still goes.
	// Called from Flush (or Reserve, when it flushes), with no lock held.
	OnError func(d *Dest, datagrams int, err error)
}

// Batch queues datagrams for one or more Conns and sends them with as few
// system calls as it can: consecutive datagrams to the same Dest with equal
// sizes (the last may be smaller) become one GSO message where the socket
// has GSO, and up to MaxMessages messages leave in one sendmmsg per Conn.
// Datagrams to one Dest leave in the order they were queued. A Batch is
// used by one goroutine; it allocates nothing after NewBatch.
type Batch struct {
	opts  BatchOptions
	arena []byte
	used  int
	rsv   *Dest // destination of the open reservation (nil: none)
	rsvN  int

	meta []message      // queued messages, in order
	msgs []ipv4.Message // what is handed to WriteBatch (parallel to meta)
	raw  *rawSender     // the same packed for a raw sendmmsg (Linux; send_linux.go)
	iov  [][]byte       // msgs[i].Buffers = iov[i : i+1]
	oob  []byte         // GSO control messages, gsoCmsgLen each

	// Scratch for batches over several Conns: one Conn's messages at a time.
	groupMeta []message

	datagrams int
	failed    int
	firstErr  error
}

// message is one queued message: a span of the arena with one datagram, or
// several of seg bytes each (the last may be shorter) for GSO.
type message struct {
	dest   *Dest
	off, n int
	seg    int  // size of each datagram but the last
	segs   int  // datagrams in the message
	closed bool // last datagram shorter than seg: nothing may join
}

// NewBatch makes a Batch.
func NewBatch(o BatchOptions) *Batch {
	if o.MaxMessages <= 0 {
		o.MaxMessages = 64
	}
	if o.ArenaBytes <= 0 {
		o.ArenaBytes = 128 << 10
	}
	m := o.MaxMessages
	b := &Batch{
		opts:      o,
		arena:     make([]byte, o.ArenaBytes),
		meta:      make([]message, 0, m),
		msgs:      make([]ipv4.Message, m),
		iov:       make([][]byte, m),
		oob:       make([]byte, m*gsoCmsgLen),
		groupMeta: make([]message, 0, m),
		raw:       newRawSender(m),
	}
	for i := range b.msgs {
		b.msgs[i].Buffers = b.iov[i : i+1 : i+1]
	}
	return b
}

// Reserve returns room for one datagram of up to n bytes to d, to be written
// and then committed with Commit. It flushes first when the arena or the
// message list is full (errors of that flush go to OnError).
func (b *Batch) Reserve(d *Dest, n int) ([]byte, error) {
	if n <= 0 || n > MaxDatagram || n > len(b.arena) {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, n)
	}
	if b.used+n > len(b.arena) || len(b.meta) == cap(b.meta) {
		_ = b.Flush()
	}
	b.rsv, b.rsvN = d, n
	return b.arena[b.used : b.used+n : b.used+n], nil
}

// Commit queues the n bytes written into the last reserved room (n at most
// what was reserved; 0 drops the reservation).
func (b *Batch) Commit(n int) {
	d := b.rsv
	if d == nil || n < 0 || n > b.rsvN {
		panic(fmt.Sprintf("udpx: Commit(%d) without a matching Reserve", n))
	}
	b.rsv = nil
	if n == 0 {
		return
	}
	if k := len(b.meta) - 1; k >= 0 && b.canJoin(&b.meta[k], d, n) {
		m := &b.meta[k]
		m.n += n
		m.segs++
		m.closed = n < m.seg
	} else {
		b.meta = append(b.meta, message{dest: d, off: b.used, n: n, seg: n, segs: 1})
	}
	b.used += n
	b.datagrams++
}

// canJoin says whether a datagram of n bytes to d may extend message m as
// one more GSO segment.
func (b *Batch) canJoin(m *message, d *Dest, n int) bool {
	return m.dest == d && !m.closed && n <= m.seg && m.segs < maxGSOSegments &&
		m.n+n <= maxGSOBytes && m.off+m.n == b.used && d.conn.gso.Load()
}

// Len is the number of datagrams queued.
func (b *Batch) Len() int { return b.datagrams }

// Flush sends everything queued. Each message that fails is reported to
// OnError and the others are still sent; the error returned (nil when all
// went) counts the failed datagrams and wraps the first failure.
func (b *Batch) Flush() error {
	if len(b.meta) == 0 {
		return nil
	}
	b.failed, b.firstErr = 0, nil
	first := b.meta[0].dest.conn
	single := true
	for i := range b.meta {
		if b.meta[i].dest.conn != first {
			single = false
			break
		}
	}
	if single {
		b.send(first, b.meta, b.msgs[:len(b.meta)])
	} else {
		b.sendPerConn()
	}
	total := b.datagrams
	clear(b.meta) // drop Dest references
	b.meta, b.used, b.datagrams = b.meta[:0], 0, 0
	if b.failed == 0 {
		return nil
	}
	return fmt.Errorf("udpx: %d of %d datagrams not sent: %w", b.failed, total, b.firstErr)
}

// sendPerConn sends the messages of each Conn in turn, keeping their order.
func (b *Batch) sendPerConn() {
	done := 0
	for done < len(b.meta) {
		var c *Conn
		b.groupMeta = b.groupMeta[:0]
		for i := range b.meta {
			m := b.meta[i]
			if m.dest == nil {
				continue
			}
			if c == nil {
				c = m.dest.conn
			}
			if m.dest.conn == c {
				b.groupMeta = append(b.groupMeta, m)
				b.meta[i].dest = nil // taken
				done++
			}
		}
		b.send(c, b.groupMeta, b.msgs[:len(b.groupMeta)])
	}
	clear(b.groupMeta)
}

// send writes the messages of one Conn, sendmmsg after sendmmsg, skipping
// (and reporting) a message the kernel refuses.
func (b *Batch) send(c *Conn, meta []message, ms []ipv4.Message) {
	for i := range meta {
		m := &meta[i]
		ms[i].Buffers[0] = b.arena[m.off : m.off+m.n]
		ms[i].Addr = m.dest.addr
		ms[i].OOB = nil
		if m.segs > 1 {
			oob := b.oob[i*gsoCmsgLen : (i+1)*gsoCmsgLen]
			putGSOCmsg(oob, uint16(m.seg))
			ms[i].OOB = oob
		}
		b.raw.pack(i, b.arena, m, ms[i].OOB)
	}
	for i := 0; i < len(ms); {
		end := len(ms)
		if !c.gso.Load() {
			// GSO was turned off during this flush: the GSO messages
			// already built go datagram by datagram, the others as before.
			if meta[i].segs > 1 {
				b.sendSegments(c, &meta[i])
				i++
				continue
			}
			for end = i + 1; end < len(ms) && meta[end].segs == 1; end++ {
			}
		}
		n, err := c.writeBatch(b, i, end)
		c.stats.batchCalls.Add(1)
		if n > 0 {
			b.sent(c, meta[i:i+n])
			i += n
			continue
		}
		if err == nil {
			err = syscall.EIO // sendmmsg sent nothing and said nothing
		}
		if errors.Is(err, net.ErrClosed) {
			for ; i < len(ms); i++ {
				b.fail(c, &meta[i], err)
			}
			break
		}
		m := &meta[i]
		if m.segs > 1 && (gsoUnsupported(err) || errors.Is(err, syscall.EINVAL)) {
			// The device cannot segment (EIO: turn GSO off for the socket)
			// or refused this message's segmentation: send its datagrams
			// one by one.
			if gsoUnsupported(err) {
				c.gso.Store(false)
			}
			b.sendSegments(c, m)
		} else {
			b.fail(c, m, err)
		}
		i++
	}
	for i := range ms {
		ms[i].Addr, ms[i].Buffers[0], ms[i].OOB = nil, nil, nil
	}
	b.raw.clear(len(ms))
}

// sent counts messages the kernel took.
func (b *Batch) sent(c *Conn, meta []message) {
	dg := 0
	for i := range meta {
		dg += meta[i].segs
		if meta[i].segs > 1 {
			c.stats.gsoMessages.Add(1)
		}
	}
	c.stats.datagramsSent.Add(uint64(dg))
}

// sendSegments sends a GSO message's datagrams one at a time.
func (b *Batch) sendSegments(c *Conn, m *message) {
	var err error
	failed := 0
	for off := m.off; off < m.off+m.n; off += m.seg {
		end := min(off+m.seg, m.off+m.n)
		if _, e := c.WriteToAddrPort(b.arena[off:end], m.dest.ap); e != nil {
			failed++
			err = e
		}
	}
	if failed > 0 {
		b.report(m.dest, failed, err)
	}
}

func (b *Batch) fail(c *Conn, m *message, err error) {
	c.stats.sendErrors.Add(1)
	b.report(m.dest, m.segs, err)
}

func (b *Batch) report(d *Dest, datagrams int, err error) {
	b.failed += datagrams
	if b.firstErr == nil {
		b.firstErr = err
	}
	if b.opts.OnError != nil {
		b.opts.OnError(d, datagrams, err)
	}
}
