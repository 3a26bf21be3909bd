// Package ipc is the wire protocol between gorento and gorento-worker.
//
// Transport: a Unix SOCK_SEQPACKET socketpair, the worker's end passed as fd 3.
// The kernel keeps message boundaries and order, so there is no framing: one
// datagram is one message. Each message is a fixed 12-byte header followed by
// a payload whose meaning depends on the type:
//
//	byte 0     protocol version (Version)
//	byte 1     Type
//	bytes 2-3  reserved, zero
//	bytes 4-7  element id, big endian (0 = the worker itself)
//	bytes 8-11 stream index, big endian (an input for RTP to the worker, an
//	           output for RTP from it; 0 for control messages)
//	bytes 12-  payload: an RTP packet for TypeRTP, JSON for every other type
//
// Gorento → worker: TypeControl (JSON Control: create, release, keyframe,
// bitrate, property, overlay/image/background commands), TypeRTP.
// Worker → gorento: TypeHello once, TypeHeartbeat, TypeReply (JSON Reply to a
// Control, matched by Req), TypeEvent (JSON Event), TypeRTP.
//
// An element has any number of inputs and outputs (Spec.Inputs, Spec.Outputs),
// so a transcoder (one input, N encoders) and a mixer (N inputs, one output)
// use the same messages as a one-in one-out filter.
package ipc

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Version is the protocol version both sides must speak.
const Version = 1

// HeaderSize is the size of the fixed message header.
const HeaderSize = 12

// MaxMessage is the largest message either side sends or accepts; the socket
// buffers are sized for it. RTP packets are far smaller; JSON control
// messages (a gst-launch description, image geometry) are kilobytes.
const MaxMessage = 64 << 10

// Type is a message type.
type Type uint8

// Message types.
const (
	TypeHello     Type = 1 // worker → gorento, first message, JSON Hello
	TypeHeartbeat Type = 2 // worker → gorento, JSON Heartbeat
	TypeControl   Type = 3 // gorento → worker, JSON Control
	TypeReply     Type = 4 // worker → gorento, JSON Reply
	TypeEvent     Type = 5 // worker → gorento, JSON Event
	TypeRTP       Type = 6 // both ways, one RTP packet
)

func (t Type) String() string {
	switch t {
	case TypeHello:
		return "hello"
	case TypeHeartbeat:
		return "heartbeat"
	case TypeControl:
		return "control"
	case TypeReply:
		return "reply"
	case TypeEvent:
		return "event"
	case TypeRTP:
		return "rtp"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Header is the decoded fixed header of a message.
type Header struct {
	Type    Type
	Element uint32
	Stream  uint32
}

// Errors returned by Decode.
var (
	ErrShort    = errors.New("ipc: message shorter than its header")
	ErrVersion  = errors.New("ipc: unsupported protocol version")
	ErrType     = errors.New("ipc: unknown message type")
	ErrTooBig   = errors.New("ipc: message larger than the maximum")
	ErrReserved = errors.New("ipc: reserved header bytes not zero")
)

// AppendHeader appends the encoded header to b.
func AppendHeader(b []byte, h Header) []byte {
	b = append(b, Version, byte(h.Type), 0, 0)
	b = binary.BigEndian.AppendUint32(b, h.Element)
	return binary.BigEndian.AppendUint32(b, h.Stream)
}

// PutHeader writes the header into b[:HeaderSize]; b must be long enough.
func PutHeader(b []byte, h Header) {
	b[0], b[1], b[2], b[3] = Version, byte(h.Type), 0, 0
	binary.BigEndian.PutUint32(b[4:8], h.Element)
	binary.BigEndian.PutUint32(b[8:12], h.Stream)
}

// Decode splits a received message into its header and payload. The payload
// aliases msg.
func Decode(msg []byte) (Header, []byte, error) {
	if len(msg) > MaxMessage {
		return Header{}, nil, ErrTooBig
	}
	if len(msg) < HeaderSize {
		return Header{}, nil, ErrShort
	}
	if msg[0] != Version {
		return Header{}, nil, fmt.Errorf("%w: %d", ErrVersion, msg[0])
	}
	if msg[2] != 0 || msg[3] != 0 {
		return Header{}, nil, ErrReserved
	}
	t := Type(msg[1])
	if t < TypeHello || t > TypeRTP {
		return Header{}, nil, fmt.Errorf("%w: %d", ErrType, msg[1])
	}
	h := Header{Type: t, Element: binary.BigEndian.Uint32(msg[4:8]), Stream: binary.BigEndian.Uint32(msg[8:12])}
	return h, msg[HeaderSize:], nil
}
