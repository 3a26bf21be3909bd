//go:build !linux

package udpx

import (
	"net"
	"net/netip"
)

// recvBatcher batches receives on Linux only (recv_linux.go).
type recvBatcher struct{}

func newRecvBatcher(*net.UDPConn) *recvBatcher { return nil }

func (c *Conn) readBatched([]byte) (int, netip.AddrPort, bool, error) {
	return 0, netip.AddrPort{}, false, nil
}
