package interceptor

import (
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
)

// OnRTCP wraps an interceptor's RTCP reader: handle sees every compound
// packet read, parsed once and cached in the attributes for the others.
func OnRTCP(reader interceptor.RTCPReader, handle func([]rtcp.Packet)) interceptor.RTCPReader {
	return interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, a, err := reader.Read(b, a)
		if err != nil {
			return 0, nil, err
		}
		if a == nil {
			a = interceptor.Attributes{}
		}
		pkts, err := a.GetRTCPPackets(b[:n])
		if err != nil {
			return 0, nil, err
		}
		handle(pkts)
		return n, a, nil
	})
}

// Clock returns monotonic time in nanoseconds. Interceptors take one as an
// option so tests can drive time; the default is the real clock.
type Clock func() int64

var epoch = time.Now()

// RealClock is the default Clock: monotonic nanoseconds since process start.
func RealClock() int64 { return int64(time.Since(epoch)) + 1 }
