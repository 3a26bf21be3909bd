package container

import (
	"time"

	"github.com/gorento/gorento/internal/media/frames"
)

// Format is the byte layout a Muxer writes through (packages webm and mp4
// implement it). The Muxer decides what goes where and when; a Format only
// turns that into bytes. Methods append to dst and must not keep it.
type Format interface {
	// Supports reports whether the format can hold codec c.
	Supports(c frames.Codec) bool
	// AppendInit appends the file header for the final tracks (picture
	// sizes and codec configurations known).
	AppendInit(dst []byte, tracks []Track) ([]byte, error)
	// AppendFragment appends one cluster/fragment; off is the file offset
	// its first byte will have.
	AppendFragment(dst []byte, off int64, f *Fragment) ([]byte, error)
	// AppendTrailer appends what a clean close adds at off (cues, index)
	// and returns patches to bytes already written (sizes, duration, seek
	// pointers), which the Muxer applies when the output can seek.
	AppendTrailer(dst []byte, off int64, duration time.Duration) ([]byte, []Patch, error)
}

// Fragment is one cluster (Matroska) or movie fragment (MP4): samples of
// all tracks in timeline order, starting on a video keyframe when the
// video allowed it.
type Fragment struct {
	Start   time.Duration
	Samples []FragmentSample
}

// FragmentSample is a sample placed on the file's timeline.
type FragmentSample struct {
	Track    int // index in the file's tracks
	Time     time.Duration
	Duration time.Duration
	Keyframe bool
	Data     []byte
}

// Patch overwrites bytes already written.
type Patch struct {
	Offset int64
	Data   []byte
}
