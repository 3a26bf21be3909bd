//go:build !linux

package udpx

import "net/netip"

// Raw batched sends are Linux only (send_linux.go); elsewhere
// golang.org/x/net's WriteBatch sends one message per call.
type rawSender struct{}

type sockaddr struct{}

func makeSockaddr(netip.AddrPort, netip.AddrPort) sockaddr { return sockaddr{} }
func newRawSender(int) *rawSender                          { return nil }
func (*rawSender) pack(int, []byte, *message, []byte)      {}
func (*rawSender) clear(int)                               {}

func rawBatchWriter(*Conn) func(b *Batch, lo, hi int) (int, error) { return nil }

func (c *Conn) rawWriteTo([]byte, netip.AddrPort) (int, bool, error) { return 0, false, nil }
