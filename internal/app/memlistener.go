package app

import (
	"context"
	"errors"
	"net"
	"sync"
)

// memListener is an in-process net.Listener: Dial returns one end of a
// net.Pipe and Accept the other. The room server reaches the embedded
// media server through it with the ordinary Kurento Protocol client, so it
// never touches the media engine directly and needs no network port.
type memListener struct {
	conns     chan net.Conn
	closeOnce sync.Once
	done      chan struct{}
}

var errListenerClosed = errors.New("memlistener: closed")

func newMemListener() *memListener {
	return &memListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept implements net.Listener.
func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, errListenerClosed
	}
}

// Close implements net.Listener.
func (l *memListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

// Addr implements net.Listener.
func (l *memListener) Addr() net.Addr { return memAddr{} }

// DialContext connects to the listener (the network and address are ignored).
func (l *memListener) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, errListenerClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type memAddr struct{}

func (memAddr) Network() string { return "memory" }
func (memAddr) String() string  { return "embedded" }
