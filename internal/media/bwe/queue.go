package bwe

// standingQueue measures the queue a path holds *all the time*: the
// one-way delay of acknowledged packets (receiver arrival − send time, an
// unknown constant clock offset included) at its minimum over the last
// queueRecent, above its minimum over the last queueBase (the path's own
// delay). The trendline only sees delay *growth*: a drop-tail buffer that
// filled before it had its 20 groups (an initial estimate 2.5× a 600 kbit/s
// link fills htb's 250 ms queue in half a second) looks flat, "normal",
// while the buffer drops two packets in three — and the loss controller,
// which tolerates a link's inherent loss, learned that loss as inherent.
// Minima make it deaf to jitter and to the short queue of a keyframe.
//
// A standing queue counts only with loss (a full drop-tail buffer drops):
// a path whose delay steps up (a route change) shows the same "queue"
// without loss. And the estimator answers one episode once: if the queue
// does not drain after that cut, it is not ours (a delay step on a lossy
// link) and the base delay starts again from the new level.
type standingQueue struct {
	base   [queueBaseBuckets]owdBucket // per second
	recent [queueRecentBuckets]owdBucket
	loss   [queueRecentBuckets]lossBucket // by the sender's clock
	queue  int64                          // ns; the last measurement
}

type lossBucket struct {
	idx         int64
	lost, total int
}

type owdBucket struct {
	idx int64 // arrival / bucket length; 0: empty
	min int64
}

const (
	queueBaseBucket    = int64(1_000_000_000)
	queueBaseBuckets   = 30 // s: the base delay is the minimum of the last 30 s
	queueRecentBucket  = int64(100_000_000)
	queueRecentBuckets = 5 // the queue is the minimum of the last 500 ms, above the base
	// standingQueueMin is the queue that counts as standing: above what
	// jitter and a paced keyframe leave for half a second.
	standingQueueMin = int64(60_000_000)
	// queueClockJump: a "queue" this long is the receiver's clock jumping
	// (or a path change): the base starts again.
	queueClockJump = int64(3_000_000_000)
	// standingLoss is the loss over the last 500 ms that makes a standing
	// queue a full buffer.
	standingLoss = 0.02
	// standingDrain is how long a queue the estimator cut its rate for may
	// take to halve before it is taken for the path's new delay.
	standingDrain = int64(3_000_000_000)
)

// feedback counts one feedback's lost and reported packets at now (the
// sender's clock).
func (q *standingQueue) feedback(now int64, lost, total int) {
	j := now/queueRecentBucket + 1
	b := &q.loss[j%queueRecentBuckets]
	if b.idx != j {
		*b = lossBucket{idx: j}
	}
	b.lost += lost
	b.total += total
}

// lossy reports whether the last 500 ms lost more than standingLoss.
func (q *standingQueue) lossy(now int64) bool {
	head := now/queueRecentBucket + 1
	var lost, total int
	for _, b := range q.loss {
		if b.idx > head-queueRecentBuckets && b.idx <= head {
			lost, total = lost+b.lost, total+b.total
		}
	}
	return total > 0 && float64(lost) > standingLoss*float64(total)
}

// rebase takes the recent delay for the path's own.
func (q *standingQueue) rebase() {
	var newest owdBucket
	for _, b := range q.recent {
		if b.idx > newest.idx {
			newest = b
		}
	}
	q.base = [queueBaseBuckets]owdBucket{}
	if newest.idx != 0 {
		i := newest.idx*queueRecentBucket/queueBaseBucket + 1
		q.base[i%queueBaseBuckets] = owdBucket{idx: i, min: newest.min}
	}
	q.queue = 0
}

func (b *owdBucket) add(idx, owd int64) {
	if b.idx != idx {
		b.idx, b.min = idx, owd
	} else if owd < b.min {
		b.min = owd
	}
}

// add takes one acknowledged packet.
func (q *standingQueue) add(sent, arrival int64) {
	owd := arrival - sent
	i := arrival/queueBaseBucket + 1
	q.base[i%queueBaseBuckets].add(i, owd)
	j := arrival/queueRecentBucket + 1
	q.recent[j%queueRecentBuckets].add(j, owd)
}

// update measures the queue after a feedback, at arrival time now (the
// receiver's clock: the last packet's arrival).
func (q *standingQueue) update(now int64) {
	base, ok := minOf(q.base[:], now/queueBaseBucket+1, queueBaseBuckets)
	recent, ok2 := minOf(q.recent[:], now/queueRecentBucket+1, queueRecentBuckets)
	if !ok || !ok2 {
		q.queue = 0
		return
	}
	q.queue = recent - base
	if q.queue > queueClockJump {
		q.base = [queueBaseBuckets]owdBucket{}
		q.queue = 0
	}
}

func minOf(bs []owdBucket, head, n int64) (int64, bool) {
	var m int64
	found := false
	for _, b := range bs {
		if b.idx != 0 && b.idx > head-n && b.idx <= head && (!found || b.min < m) {
			m, found = b.min, true
		}
	}
	return m, found
}

// standing reports whether the path holds a standing queue.
func (q *standingQueue) standing() bool { return q.queue >= standingQueueMin }
