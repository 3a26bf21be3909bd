// Package media is Gorento's media engine: pipelines of elements whose source
// pads fan RTP out to connected sink pads. It knows nothing of JSON or of the
// Kurento Protocol; the protocol layer drives it and listens to its events.
package media

import "fmt"

// MediaType is the kind of media a pad carries.
type MediaType uint8

// Media types, in the order KMS connects them for an untyped connect.
const (
	Audio MediaType = iota
	Video
	Data
	numMediaTypes
)

// AllMediaTypes lists every media type, the order used by an untyped connect.
var AllMediaTypes = []MediaType{Audio, Video, Data}

// String returns the Kurento enum name (AUDIO, VIDEO, DATA).
func (m MediaType) String() string {
	switch m {
	case Audio:
		return "AUDIO"
	case Video:
		return "VIDEO"
	case Data:
		return "DATA"
	}
	return fmt.Sprintf("MediaType(%d)", m)
}

// ParseMediaType parses a Kurento MediaType enum string.
func ParseMediaType(s string) (MediaType, bool) {
	switch s {
	case "AUDIO":
		return Audio, true
	case "VIDEO":
		return Video, true
	case "DATA":
		return Data, true
	}
	return 0, false
}
