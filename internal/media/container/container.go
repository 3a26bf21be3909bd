// Package container holds what the WebM/Matroska and MP4 packages share:
// tracks and samples, the Muxer that owns a recording's timeline (start on a
// keyframe, audio/video alignment, pause, interleaving, fragment cutting,
// write errors, write pattern) and plugs in a Format for the bytes, the
// Demuxer interface a player reads through, and the table of Kurento's
// recording profiles.
package container

import (
	"errors"
	"time"

	"github.com/gorento/gorento/internal/media/frames"
)

// Track describes one elementary stream.
type Track struct {
	Codec frames.Codec
	// Video: picture size. The Muxer reads it from the first keyframe when 0.
	Width, Height int
	// Audio: sample rate (Hz) and channel count. Opus is always 48000 Hz.
	SampleRate, Channels int
	// CodecConfig is the decoder configuration in its container-neutral
	// form: H.264 an AVCDecoderConfigurationRecord ("avcC"), AV1 an
	// AV1CodecConfigurationRecord ("av1C"), AAC an AudioSpecificConfig, Opus
	// an OpusHead (RFC 7845 §5.1); none for VP8, VP9 and G.711. The Muxer
	// builds H.264's and AV1's from the first keyframe, Opus's and AAC-LC's
	// from SampleRate and Channels, when empty.
	CodecConfig []byte
	// Name is an optional label (written where the format has one).
	Name string
}

// Sample is one frame of one track.
type Sample struct {
	Track int
	// PTS is the presentation time. For a Muxer it is on the recording's
	// shared clock (any origin, the same for all tracks); for a Demuxer it
	// is the position in the file.
	PTS time.Duration
	// DTS is the decode time, filled by demuxers (equal to PTS unless the
	// stream has B-frames). Muxers ignore it: input comes in decode order
	// without reordering, as WebRTC sends it.
	DTS time.Duration
	// Duration is filled by demuxers when the file says it (0 = unknown).
	Duration time.Duration
	Keyframe bool
	// Data is the frame in the formats of package frames (H.264 in Annex B).
	Data []byte
}

// Errors shared by the container packages.
var (
	ErrClosed           = errors.New("container: closed")
	ErrUnsupportedCodec = errors.New("container: codec not supported by this format")
	ErrBadTrack         = errors.New("container: bad track")
	ErrNotSeekable      = errors.New("container: source is not seekable")
	ErrInvalidData      = errors.New("container: invalid data")
	ErrTooLarge         = errors.New("container: element larger than the configured limit")
)
