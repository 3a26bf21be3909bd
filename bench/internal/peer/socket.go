package peer

import (
	"net"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
)

// Socket is one UDP socket with its wrapped reader, Pion ICE UDP mux and
// counter, shared by the peers given it: one goroutine reads everything
// they receive in large batches.
type Socket struct {
	Counter *Counter
	conn    *cheapConn
	mux     ice.UDPMux
}

// rcvBuf is the receive buffer asked for (SO_RCVBUFFORCE, past rmem_max,
// when root): a keyframe fanned out to hundreds of subscribers arrives at once.
const rcvBuf = 32 << 20

// NewSocket opens a socket on ip (default 127.0.0.1).
func NewSocket(ip string, sampleEvery int, epoch time.Time) (*Socket, error) {
	if ip == "" {
		ip = "127.0.0.1"
	}
	if sampleEvery <= 0 {
		sampleEvery = 32
	}
	c := NewCounter()
	conn, err := newCheapConn(net.ParseIP(ip), c, sampleEvery, epoch)
	if err != nil {
		return nil, err
	}
	quiet := logging.NewDefaultLoggerFactory()
	quiet.DefaultLogLevel = logging.LogLevelDisabled // teardown noise ("write on closed pipe")
	return &Socket{Counter: c, conn: conn, mux: webrtc.NewICEUDPMux(quiet.NewLogger("ice"), conn)}, nil
}

// Stats returns the RTP packets read so far, the recvmmsg calls made, and
// the CPU time of the reader's thread (recvmmsg, counting, handing samples
// to Pion): the generator's own receive cost.
func (s *Socket) Stats() (packets, reads int64, readerCPU time.Duration) {
	return s.conn.rtp.Load(), s.conn.reads.Load(), time.Duration(s.conn.cpuNs.Load())
}

// Close closes the mux and the socket.
func (s *Socket) Close() {
	_ = s.mux.Close()
	_ = s.conn.Close()
}
