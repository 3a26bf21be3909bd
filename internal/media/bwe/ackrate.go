package bwe

// ackRate is the rate at which the peer received our packets, by their
// arrival times (the receiver's clock): bytes in 25 ms buckets, summed over
// the last ackWindow. It is what AIMD backs off to on overuse and what bounds
// its increase. Valid once a full window of arrivals has been seen.
type ackRate struct {
	buckets [ackBuckets]int64 // bytes per bucket
	head    int64             // index (arrival / bucket) of the newest bucket
	first   int64             // arrival of the first packet (ns); 0: none
	started bool
}

const (
	ackBucket  = 25_000_000 // ns
	ackBuckets = 16
	ackWindow  = 14 // buckets summed (350 ms); the newest is partial, so it is left out
)

func (a *ackRate) add(arrival int64, size int) {
	idx := arrival / ackBucket
	if !a.started {
		a.started, a.head, a.first = true, idx, arrival
	}
	switch {
	case idx > a.head:
		for i := a.head + 1; i <= idx && i <= a.head+ackBuckets; i++ {
			a.buckets[i%ackBuckets] = 0
		}
		a.head = idx
	case idx <= a.head-ackBuckets:
		return // older than the ring
	}
	a.buckets[idx%ackBuckets] += int64(size)
}

// rate in bit/s over the last complete window, or 0 before there is one.
func (a *ackRate) rate() float64 {
	if !a.started || (a.head+1)*ackBucket-a.first < (ackWindow+1)*ackBucket {
		return 0
	}
	var sum int64
	for i := a.head - ackWindow; i < a.head; i++ {
		sum += a.buckets[i%ackBuckets]
	}
	return float64(sum) * 8 / (float64(ackWindow*ackBucket) / 1e9)
}
