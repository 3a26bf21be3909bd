// Package mediatest has what graph tests need: a fake Source and Sink
// element, a Clock that moves only when told, an event recorder, and
// builders of RTP packets with real codec payloads (keyframes or not).
// Nothing here opens a socket.
package mediatest
