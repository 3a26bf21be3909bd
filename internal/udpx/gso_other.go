//go:build !linux

package udpx

import "net"

// Segmentation offload is Linux only.
const gsoCmsgLen = 0

func probeGSO(*net.UDPConn) bool { return false }
func putGSOCmsg([]byte, uint16)  {}
func gsoUnsupported(error) bool  { return false }

func setSocketBuffer(uc *net.UDPConn, size int, rcv bool) error {
	if rcv {
		return uc.SetReadBuffer(size)
	}
	return uc.SetWriteBuffer(size)
}
