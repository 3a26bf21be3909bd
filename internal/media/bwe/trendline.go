package bwe

import "math"

// Usage is the delay-based detector's verdict on the path's queue.
type Usage int8

const (
	Normal     Usage = iota // the queue is stable
	Underusing              // the queue drains: delay is falling
	Overusing               // the queue builds up: delay is growing
)

func (u Usage) String() string {
	switch u {
	case Underusing:
		return "underusing"
	case Overusing:
		return "overusing"
	}
	return "normal"
}

// Packet groups: packets sent within burstGap of a group's first packet form
// one group (a frame, or a pacer burst), so that the delay is compared group to
// group rather than packet to packet.
const (
	burstGap          = 5_000_000   // ns
	maxBurstDuration  = 100_000_000 // ns
	arrivalJumpReset  = 3_000_000_000
	maxReorderedGroup = 3
)

type group struct {
	firstSend, lastSend    int64
	firstArrival, complete int64
	size                   int
}

// interArrival turns acknowledged packets (in arrival order) into deltas
// between consecutive groups: how much longer (or shorter) the second group
// took to arrive than to be sent.
type interArrival struct {
	cur, prev  group
	haveCur    bool
	havePrev   bool
	reordered  int
	resetCount int
}

// add returns the deltas (ns) between the group that just completed and the
// one before it, when a packet starts a new group.
func (ia *interArrival) add(sent, arrival int64, size int) (sendDelta, arrivalDelta int64, ok bool) {
	if !ia.haveCur {
		ia.cur = group{firstSend: sent, lastSend: sent, firstArrival: arrival, complete: arrival, size: size}
		ia.haveCur = true
		return 0, 0, false
	}
	if sent < ia.cur.firstSend {
		return 0, 0, false // sent before the group: out of order, ignored
	}
	if ia.newGroup(sent, arrival) {
		if ia.havePrev {
			sendDelta = ia.cur.lastSend - ia.prev.lastSend
			arrivalDelta = ia.cur.complete - ia.prev.complete
			switch {
			case arrivalDelta-sendDelta >= arrivalJumpReset:
				ia.reset() // the receiver's clock jumped
			case arrivalDelta < 0:
				ia.reordered++
				if ia.reordered >= maxReorderedGroup {
					ia.reset()
				}
			default:
				ia.reordered = 0
				ok = true
			}
		}
		ia.prev, ia.havePrev = ia.cur, ia.haveCur
		ia.cur = group{firstSend: sent, lastSend: sent, firstArrival: arrival, complete: arrival, size: size}
		ia.haveCur = true
		return sendDelta, arrivalDelta, ok
	}
	ia.cur.lastSend = max(ia.cur.lastSend, sent)
	ia.cur.complete = max(ia.cur.complete, arrival)
	ia.cur.size += size
	return 0, 0, false
}

func (ia *interArrival) newGroup(sent, arrival int64) bool {
	if ia.inBurst(sent, arrival) {
		return false
	}
	return sent-ia.cur.firstSend > burstGap
}

// inBurst: a packet that arrives with the group (less than 5 ms after its
// last packet, and earlier relative to its send time) belongs to it even if
// sent later, as when a queue releases several groups at once.
func (ia *interArrival) inBurst(sent, arrival int64) bool {
	arrivalDelta := arrival - ia.cur.complete
	sendDelta := sent - ia.cur.lastSend
	if sendDelta == 0 {
		return true
	}
	return arrivalDelta-sendDelta < 0 && arrivalDelta <= burstGap && arrival-ia.cur.firstArrival < maxBurstDuration
}

func (ia *interArrival) reset() {
	*ia = interArrival{resetCount: ia.resetCount + 1}
}

// Trendline filter and overuse detector (libwebrtc's TrendlineEstimator,
// after "Analysis and Design of the Google Congestion Control for WebRTC",
// Carlucci et al.): the accumulated delay variation, smoothed, fitted by
// least squares against arrival time over the last trendWindow groups; the
// slope, scaled, is compared with a threshold that adapts to it.
const (
	trendWindow       = 20
	trendSmoothing    = 0.9
	trendGain         = 4.0
	minNumDeltas      = 60
	maxAdaptOffset    = 15.0 // ms
	overuseTimeMs     = 10.0
	thresholdUp       = 0.0087
	thresholdDown     = 0.039
	thresholdInitial  = 12.5
	thresholdMin      = 6.0
	thresholdMax      = 600.0
	maxThresholdStep  = 100.0 // ms of elapsed time counted per update
	deltaCounterLimit = 1000
)

type trendPoint struct{ x, y float64 } // arrival time (ms since the first), smoothed delay (ms)

type trendline struct {
	points       [trendWindow]trendPoint
	n, next      int
	numDeltas    int
	firstArrival int64
	accumulated  float64
	smoothed     float64
	prevTrend    float64
	modified     float64 // the last scaled trend, for State

	threshold       float64
	lastThresholdAt int64 // ns; 0: never
	overuseTime     float64
	overuseCount    int
	usage           Usage
}

func newTrendline() trendline { return trendline{threshold: thresholdInitial, overuseTime: -1} }

// update takes one group delta (ns) and the group's arrival time.
func (t *trendline) update(sendDelta, arrivalDelta, arrival int64) {
	recvMs, sendMs := float64(arrivalDelta)/1e6, float64(sendDelta)/1e6
	t.numDeltas = min(t.numDeltas+1, deltaCounterLimit)
	if t.numDeltas == 1 {
		t.firstArrival = arrival
	}
	t.accumulated += recvMs - sendMs
	t.smoothed = trendSmoothing*t.smoothed + (1-trendSmoothing)*t.accumulated
	t.points[t.next] = trendPoint{x: float64(arrival-t.firstArrival) / 1e6, y: t.smoothed}
	t.next = (t.next + 1) % trendWindow
	t.n = min(t.n+1, trendWindow)
	trend := t.prevTrend
	if t.n == trendWindow {
		if s, ok := t.slope(); ok {
			trend = s
		}
	}
	t.detect(trend, sendMs, arrival)
}

// slope of the least-squares line through the window's points.
func (t *trendline) slope() (float64, bool) {
	var sx, sy float64
	for _, p := range t.points {
		sx += p.x
		sy += p.y
	}
	mx, my := sx/trendWindow, sy/trendWindow
	var num, den float64
	for _, p := range t.points {
		num += (p.x - mx) * (p.y - my)
		den += (p.x - mx) * (p.x - mx)
	}
	if den == 0 {
		return 0, false
	}
	return num / den, true
}

func (t *trendline) detect(trend, sendMs float64, now int64) {
	if t.numDeltas < 2 {
		t.usage = Normal
		return
	}
	t.modified = float64(min(t.numDeltas, minNumDeltas)) * trend * trendGain
	switch {
	case t.modified > t.threshold:
		if t.overuseTime == -1 {
			t.overuseTime = sendMs / 2 // assume half the group interval was overuse
		} else {
			t.overuseTime += sendMs
		}
		t.overuseCount++
		if t.overuseTime > overuseTimeMs && t.overuseCount > 1 && trend >= t.prevTrend {
			t.overuseTime, t.overuseCount = 0, 0
			t.usage = Overusing
		}
	case t.modified < -t.threshold:
		t.overuseTime, t.overuseCount = -1, 0
		t.usage = Underusing
	default:
		t.overuseTime, t.overuseCount = -1, 0
		t.usage = Normal
	}
	t.prevTrend = trend
	t.adaptThreshold(now)
}

// adaptThreshold follows |modified| slowly upward and quickly downward, so a
// competing flow's standing queue does not starve us, ignoring spikes far above it.
func (t *trendline) adaptThreshold(now int64) {
	if t.lastThresholdAt == 0 {
		t.lastThresholdAt = now
	}
	m := math.Abs(t.modified)
	if m > t.threshold+maxAdaptOffset {
		t.lastThresholdAt = now
		return
	}
	k := thresholdUp
	if m < t.threshold {
		k = thresholdDown
	}
	dt := min(float64(now-t.lastThresholdAt)/1e6, maxThresholdStep)
	t.threshold = min(max(t.threshold+k*(m-t.threshold)*dt, thresholdMin), thresholdMax)
	t.lastThresholdAt = now
}
