package nackgen

import "time"

// The lost end of a frame.
//
// A gap shows when a later packet arrives, so a lost last packet of a
// video frame showed only with the next frame, ~33 ms later at 30 fps, and
// its repair came that late (issue 15's 3 % loss row: a third of a 720p
// layer's losses, while the other repairs took 1–4 ms). A viewer whose
// jitter buffer is short (5–15 ms once the other repairs are prompt)
// dropped such frames. A sender paces a frame's packets out within a few
// ms, so when the newest packet ends no frame and nothing follows it for
// TailWait, the number after it is asked for: a sender ignores a NACK for
// a number it has not sent yet (libwebrtc finds it in no history) and
// answers one it sent and lost. It is asked for once that way; if a later
// packet then shows it missing, that ask counts as its first, and the
// usual retry rule follows.

//
// On a link slower than the sender's pacing (an uplink of 600 kbit/s: a
// packet every ~16 ms), a frame's packets come that far apart, and an ask
// after 5 ms would have the sender resend nearly every packet on the link
// that has no room for them. So the wait is at least tailGaps times the
// usual gap between two packets of a frame.

// TailWait is how long after a packet that ends no frame the number after
// it is asked for if nothing followed (at least: tailWait).
const TailWait = 5 * time.Millisecond

// tailGaps is how many usual gaps between a frame's packets the wait for
// its end lasts at least; nothing is asked for before tailGapsKnown gaps
// were seen (a stream of one-packet frames tells nothing of its link).
const (
	tailGaps      = 3
	tailGapsKnown = 4
)

// frameEnd records that ext, now the newest packet, ends a frame or not;
// next: it follows the previous newest (l.mu held).
func (l *Log) frameEnd(ext uint64, end, next bool) {
	now := l.now()
	if l.open && next {
		// The gap from the frame's previous packet (moving average).
		g := max(now-l.topAt, 0)
		if l.gaps == 0 {
			l.frameGap = g
		}
		l.frameGap += (g - l.frameGap) / 8
		l.gaps = min(l.gaps+1, tailGapsKnown)
	}
	l.open = !end
	l.topAt = now
	if l.tailSeq != 0 && l.tailSeq <= ext {
		l.tailSeq = 0 // arrived (asked too early), or shown missing (tailShown)
	}
}

// tailShown makes the number asked for as a frame's end, shown missing by
// ext, count as asked once then (l.mu held, before l.top moves to ext).
func (l *Log) tailShown(ext uint64) {
	if t := l.top + 1; l.tailSeq == t && t < ext {
		s := t % Window
		l.tries[s], l.firstAt[s], l.askedAt[s] = 1, l.tailAt, l.tailAt
	}
}

// askTail appends the number after the newest when the newest ended no
// frame at least TailWait ago, once (l.mu held).
func (l *Log) askTail(dst []uint16, now int64) []uint16 {
	if !l.open || l.gaps < tailGapsKnown || l.tailSeq == l.top+1 || now-l.topAt < l.tailWait() {
		return dst
	}
	l.tailSeq, l.tailAt = l.top+1, now
	return append(dst, uint16(l.top+1))
}

// TailDue is when the end of the newest packet's frame is to be asked for
// (ns, on Missing's clock; 0: the frame ended, or it was asked for).
func (l *Log) TailDue() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.started || !l.open || l.gaps < tailGapsKnown || l.tailSeq == l.top+1 {
		return 0
	}
	return l.topAt + l.tailWait()
}

// tailWait is how long a frame's end is waited for (ns; l.mu held).
func (l *Log) tailWait() int64 { return max(int64(TailWait), tailGaps*l.frameGap) }

// now is the Log's clock (ns).
func (l *Log) now() int64 {
	if l.clock != nil {
		return l.clock()
	}
	return time.Now().UnixNano()
}
