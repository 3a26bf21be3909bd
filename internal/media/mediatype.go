package media

import "fmt"

// MediaType is the kind of media a pad carries.
type MediaType uint8

// Media types, in the order an untyped connect links them.
const (
	Audio MediaType = iota
	Video
	Data
	numMediaTypes
)

// AllMediaTypes lists every media type, the order used by an untyped connect.
var AllMediaTypes = []MediaType{Audio, Video, Data}

// String returns "audio", "video" or "data".
func (m MediaType) String() string {
	switch m {
	case Audio:
		return "audio"
	case Video:
		return "video"
	case Data:
		return "data"
	}
	return fmt.Sprintf("MediaType(%d)", m)
}
