package srtpx

import "errors"

// Errors returned (wrapped with detail) by this package.
var (
	ErrProfile      = errors.New("srtp: unsupported protection profile")
	ErrKeyLength    = errors.New("srtp: wrong master key or salt length")
	ErrShortPacket  = errors.New("srtp: packet too short")
	ErrHeader       = errors.New("srtp: malformed header")
	ErrSSRC         = errors.New("srtp: packet ssrc differs from the stream's")
	ErrSequence     = errors.New("srtp: index does not match the header's sequence number")
	ErrBufferSize   = errors.New("srtp: buffer capacity too small for the authentication tag")
	ErrAuth         = errors.New("srtp: authentication failed")
	ErrReplay       = errors.New("srtp: replayed packet")
	ErrTooOld       = errors.New("srtp: packet older than the replay window")
	ErrExhausted    = errors.New("srtp: packet index exhausted; rekey needed")
	ErrReplayWindow = errors.New("srtp: replay window must be 64 to 32768 packets")
)
