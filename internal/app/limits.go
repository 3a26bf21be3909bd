package app

import (
	"net"

	"github.com/gorento/gorento/internal/jsonrpc"
)

// limitListener gives every connection it accepts the listener's JSON-RPC
// limits (send queue bytes, idle timeout): the protocol servers behind it
// apply them without being told (jsonrpc.TransportLimits).
type limitListener struct {
	net.Listener
	limits jsonrpc.ConnOptions
}

func (l limitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return limitConn{Conn: c, limits: l.limits}, nil
}

type limitConn struct {
	net.Conn
	limits jsonrpc.ConnOptions
}

// JSONRPCLimits implements jsonrpc.TransportLimits.
func (c limitConn) JSONRPCLimits() jsonrpc.ConnOptions { return c.limits }

var _ jsonrpc.TransportLimits = limitConn{}
