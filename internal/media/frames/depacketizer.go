package frames

import (
	"math/bits"

	"github.com/pion/rtp"
)

// Depacketizer turns the RTP packets of one stream into frames.
//
// It is not pion's samplebuilder, for three reasons: samplebuilder keeps two
// 65 536-entry pointer arrays (1 MiB) per stream, too much for a server
// recording hundreds of tracks; it has no notion of keyframes, so it cannot
// drop video until the next one after a loss; and it reports 32-bit
// timestamps. Payload formats are parsed with pion/rtp/codecs (see
// payloadCodec). A Depacketizer is not safe for concurrent use.
type Depacketizer struct {
	codec Codec
	pc    payloadCodec
	units interface{ unitSizes() []int } // AAC: several frames per packet
	o     options

	slots []slot
	mask  int64
	seq   SeqUnwrapper
	ts    TimestampUnwrapper
	ssrc  uint32

	started  bool
	consumed bool  // head has moved since the stream (re)started
	head     int64 // extended sequence number of the next packet to use
	newest   int64 // highest extended sequence number stored
	newestTS int64 // highest timestamp stored
	refTS    int64 // timestamp of the last frame used or dropped
	maxLate  int64 // packets: a hole this far behind the newest is given up
	maxTicks int64 // media time a hole is waited for, in clock ticks

	lost       int  // packets lost or discarded since the last frame out
	disc       bool // frames were dropped since the last frame out
	newSource  bool
	waitKey    bool // video: dropping until a keyframe
	keyReqTS   int64
	keyReqSent bool

	parts [][]byte
	out   []Frame
	outAt int
	stats Stats
}

type slot struct {
	used    bool
	ext     int64
	ts      int64
	rtpTS   uint32
	marker  bool
	payload []byte // a copy, reused
}

// Stats counts what a Depacketizer saw.
type Stats struct {
	Packets          uint64 // pushed
	Frames           uint64 // emitted
	Keyframes        uint64 // emitted keyframes
	Late             uint64 // arrived after their place was passed
	Duplicates       uint64
	Lost             uint64 // never arrived (given up)
	Discarded        uint64 // arrived but unusable (partial frame, not a frame start)
	Malformed        uint64 // frames whose payloads did not parse
	DroppedNoKey     uint64 // video frames dropped while waiting for a keyframe
	KeyframeRequests uint64
}

// NewDepacketizer returns a Depacketizer for codec.
func NewDepacketizer(codec Codec, opts ...Option) (*Depacketizer, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.clockRate == 0 {
		o.clockRate = codec.ClockRate()
	}
	pc, err := newPayloadCodec(codec, &o)
	if err != nil {
		return nil, err
	}
	n := 1 << bits.Len(uint(o.window-1))
	d := &Depacketizer{
		codec: codec, pc: pc, o: o,
		slots:    make([]slot, n),
		mask:     int64(n - 1),
		maxLate:  int64(n / 2),
		maxTicks: int64(o.maxDelay.Seconds() * float64(o.clockRate)),
		waitKey:  codec.IsVideo(),
	}
	d.units, _ = pc.(interface{ unitSizes() []int })
	return d, nil
}

// Codec is the codec the Depacketizer was made for.
func (d *Depacketizer) Codec() Codec { return d.codec }

// ClockRate is the RTP clock rate of Frame.Timestamp.
func (d *Depacketizer) ClockRate() uint32 { return d.o.clockRate }

// Stats returns the counters so far.
func (d *Depacketizer) Stats() Stats { return d.stats }

// WaitingForKeyframe reports whether video is being dropped until a keyframe.
func (d *Depacketizer) WaitingForKeyframe() bool { return d.waitKey }

// Push adds one packet. The packet is copied; the caller may reuse it.
// Complete frames become available from Pop.
func (d *Depacketizer) Push(p *rtp.Packet) {
	d.stats.Packets++
	if d.started && p.SSRC != d.ssrc { // a new source: start over
		d.assemble(true)
		d.seq.Reset()
		d.ts.Reset()
		d.started = false
		d.newSource, d.disc = true, true
		d.enterWaitKey()
	}
	ext := d.seq.Unwrap(p.SequenceNumber)
	ts := d.ts.Unwrap(p.Timestamp)
	if !d.started {
		d.started, d.consumed, d.ssrc = true, false, p.SSRC
		d.head, d.newest, d.newestTS, d.refTS = ext, ext, ts, ts
	}
	if ext < d.head {
		if d.consumed || d.head-ext >= d.maxLate {
			d.stats.Late++
			return
		}
		d.head = ext // before anything was used: an early packet arrived late
	}
	if ext-d.head >= int64(len(d.slots)) {
		d.consumed = true
		d.dropUntil(ext - int64(len(d.slots)) + 1)
	}
	s := &d.slots[ext&d.mask]
	if s.used && s.ext == ext {
		d.stats.Duplicates++
		return
	}
	s.used, s.ext, s.ts, s.rtpTS, s.marker = true, ext, ts, p.Timestamp, p.Marker
	s.payload = append(s.payload[:0], p.Payload...)
	if ext > d.newest {
		d.newest = ext
	}
	if ts > d.newestTS {
		d.newestTS = ts
	}
	d.assemble(false)
}

// Flush emits every complete frame still buffered and gives up the rest
// (end of stream).
func (d *Depacketizer) Flush() { d.assemble(true) }

// Pop returns the next complete frame, if any.
func (d *Depacketizer) Pop() (Frame, bool) {
	if d.outAt >= len(d.out) {
		return Frame{}, false
	}
	f := d.out[d.outAt]
	d.out[d.outAt] = Frame{}
	d.outAt++
	if d.outAt == len(d.out) {
		d.out, d.outAt = d.out[:0], 0
	}
	return f, true
}

func (d *Depacketizer) present(ext int64) bool {
	s := &d.slots[ext&d.mask]
	return s.used && s.ext == ext
}

func (d *Depacketizer) release(ext int64) { d.slots[ext&d.mask].used = false }

// giveUp reports whether a hole at or just after head has been waited for
// long enough.
func (d *Depacketizer) giveUp() bool {
	return d.newest-d.head >= d.maxLate || d.newestTS-d.refTS > d.maxTicks
}

// dropUntil moves head to ext, counting what is skipped.
func (d *Depacketizer) dropUntil(ext int64) {
	if ext-d.head > int64(len(d.slots)) { // far jump: nothing old can be kept
		d.stats.Lost += uint64(ext - d.head)
		d.lost += int(ext - d.head)
		for i := range d.slots {
			d.slots[i].used = false
		}
		d.head = ext
		d.gap()
		return
	}
	for ; d.head < ext; d.head++ {
		d.skipHead()
	}
}

// skipHead drops the packet at head (or its absence).
func (d *Depacketizer) skipHead() {
	d.consumed = true
	if d.present(d.head) {
		d.stats.Discarded++
		d.release(d.head)
	} else {
		d.stats.Lost++
	}
	d.lost++
	d.head++
	d.gap()
}

func (d *Depacketizer) gap() {
	d.disc = true
	if d.codec.IsVideo() && !d.waitKey {
		d.enterWaitKey()
	}
}

func (d *Depacketizer) enterWaitKey() {
	if !d.codec.IsVideo() {
		return
	}
	d.waitKey = true
	d.requestKeyframe()
}

func (d *Depacketizer) requestKeyframe() {
	if d.keyReqSent && d.refTS-d.keyReqTS < int64(d.o.clockRate) {
		return
	}
	d.keyReqSent, d.keyReqTS = true, d.refTS
	d.stats.KeyframeRequests++
	if d.o.onKeyframe != nil {
		d.o.onKeyframe()
	}
}

// assemble emits the frames that are complete from head on.
func (d *Depacketizer) assemble(flush bool) {
	for d.started && d.head <= d.newest {
		if !d.present(d.head) {
			if flush || d.giveUp() {
				d.skipHead()
				continue
			}
			return
		}
		s := &d.slots[d.head&d.mask]
		if len(s.payload) == 0 { // padding-only packet: not media, not a loss
			d.consumed = true
			d.release(d.head)
			d.head++
			continue
		}
		if !d.pc.isHead(s.payload) {
			d.skipHead()
			continue
		}
		if !d.pc.frameEndsWithMarker() {
			d.emit(d.head, d.head)
			continue
		}
		end, complete, hole := d.findEnd()
		if complete {
			d.emit(d.head, end)
			continue
		}
		if !flush && (!hole || !d.giveUp()) {
			return
		}
		for d.head <= end { // give up the partial frame
			d.skipHead()
		}
		d.refTS = s.ts
	}
}

// findEnd looks for the last packet of the frame starting at head: the one
// with the marker bit, or the one before a packet with another timestamp.
func (d *Depacketizer) findEnd() (end int64, complete, hole bool) {
	ts := d.slots[d.head&d.mask].ts
	for i := d.head; ; i++ {
		if i > d.newest {
			return i - 1, false, false
		}
		if !d.present(i) {
			return i - 1, false, true
		}
		s := &d.slots[i&d.mask]
		if s.ts != ts {
			return i - 1, true, false
		}
		if s.marker {
			return i, true, false
		}
	}
}

// emit assembles packets from..to into a frame.
func (d *Depacketizer) emit(from, to int64) {
	first := d.slots[from&d.mask]
	d.parts = d.parts[:0]
	size := 0
	for i := from; i <= to; i++ {
		p := d.slots[i&d.mask].payload
		if len(p) > 0 {
			d.parts = append(d.parts, p)
			size += len(p) + 8
		}
	}
	data, key, err := d.pc.assemble(make([]byte, 0, size+64), d.parts)
	for i := from; i <= to; i++ {
		d.release(i)
	}
	d.head, d.consumed = to+1, true
	d.refTS = first.ts
	if err != nil {
		d.stats.Malformed++
		d.stats.Discarded += uint64(to - from + 1)
		d.lost += int(to - from + 1)
		d.pc.reset()
		d.gap()
		return
	}
	if len(data) == 0 {
		return
	}
	if d.waitKey && !key {
		d.stats.DroppedNoKey++
		d.disc = true
		d.requestKeyframe()
		return
	}
	d.waitKey = false
	f := Frame{
		Codec: d.codec, Data: data, Timestamp: first.ts, RTPTimestamp: first.rtpTS,
		Keyframe: key, Lost: d.lost, Discontinuity: d.disc, NewSource: d.newSource,
	}
	d.lost, d.disc, d.newSource = 0, false, false
	if d.units != nil {
		d.emitUnits(f)
		return
	}
	d.push(f)
}

// emitUnits splits an AAC packet's access units into frames of 1024 samples
// each.
func (d *Depacketizer) emitUnits(f Frame) {
	data := f.Data
	for i, n := range d.units.unitSizes() {
		u := f
		u.Data = data[:n:n]
		data = data[n:]
		u.Timestamp += int64(i) * 1024
		u.RTPTimestamp += uint32(i) * 1024
		if i > 0 {
			u.Lost, u.Discontinuity, u.NewSource = 0, false, false
		}
		d.push(u)
	}
}

func (d *Depacketizer) push(f Frame) {
	d.stats.Frames++
	if f.Keyframe {
		d.stats.Keyframes++
	}
	d.out = append(d.out, f)
}
