package container

import (
	"fmt"

	"github.com/gorento/gorento/internal/media/frames"
)

// Profile is a Kurento MediaProfileSpecType.
//
// What KMS 7.3 really records (kms-core kmsrecordingprofile.c picks the
// codecs the recorder transcodes to, kms-elements kmsavmuxer.c the muxer):
//
//	profile            muxer (GStreamer)        video             audio
//	WEBM               webmmux                  VP8               Opus
//	WEBM_VIDEO_ONLY    webmmux                  VP8               —
//	WEBM_AUDIO_ONLY    webmmux                  —                 Opus
//	MKV                matroskamux              H.264 (avc, au)   AAC (mpeg-4)
//	MKV_VIDEO_ONLY     matroskamux              H.264             —
//	MKV_AUDIO_ONLY     matroskamux              —                 AAC
//	MP4                mp4mux (faststart when   H.264 (avc, au)   AAC (mpeg-4)
//	                   not writing a local file)
//	MP4_VIDEO_ONLY     mp4mux                   H.264             —
//	MP4_AUDIO_ONLY     mp4mux                   —                 AAC
//	FLV                flvmux (streamable)      H.264             AAC
//	JPEG_VIDEO_ONLY    jifmux                   JPEG              —
//	KURENTO_SPLIT_RECORDER  ksr (plugin normally absent: create fails)
//
// So MKV is H.264 + AAC, not Opus (its container caps even reuse the MP4
// ones), and no profile keeps VP9 or H.264 in WebM. Gorento's muxers accept
// more (VP9, AV1, Opus in MKV/MP4, H.264 in MKV) so that a recorder can
// avoid transcoding where a player reads the result; Accepts tells what a
// profile takes as KMS does.
type Profile string

// The MediaProfileSpecType values.
const (
	ProfileWebM          Profile = "WEBM"
	ProfileMKV           Profile = "MKV"
	ProfileMP4           Profile = "MP4"
	ProfileWebMVideoOnly Profile = "WEBM_VIDEO_ONLY"
	ProfileWebMAudioOnly Profile = "WEBM_AUDIO_ONLY"
	ProfileMKVVideoOnly  Profile = "MKV_VIDEO_ONLY"
	ProfileMKVAudioOnly  Profile = "MKV_AUDIO_ONLY"
	ProfileMP4VideoOnly  Profile = "MP4_VIDEO_ONLY"
	ProfileMP4AudioOnly  Profile = "MP4_AUDIO_ONLY"
	ProfileJPEGVideoOnly Profile = "JPEG_VIDEO_ONLY"
	ProfileKSR           Profile = "KURENTO_SPLIT_RECORDER"
	ProfileFLV           Profile = "FLV"
)

// FileType names a container format.
type FileType string

// Container formats of the profiles.
const (
	FormatWebM     FileType = "webm"
	FormatMatroska FileType = "matroska"
	FormatMP4      FileType = "mp4"
	FormatFLV      FileType = "flv"
	FormatJPEG     FileType = "jpeg"
)

// ProfileSpec is one row of the table above.
type ProfileSpec struct {
	Profile Profile
	Type    FileType
	Video   frames.Codec // CodecUnknown: no video track
	Audio   frames.Codec // CodecUnknown: no audio track
	// Muxable is false where Gorento has no muxer (FLV, JPEG, KSR).
	Muxable bool
}

var profiles = []ProfileSpec{
	{ProfileWebM, FormatWebM, frames.VP8, frames.Opus, true},
	{ProfileWebMVideoOnly, FormatWebM, frames.VP8, frames.CodecUnknown, true},
	{ProfileWebMAudioOnly, FormatWebM, frames.CodecUnknown, frames.Opus, true},
	{ProfileMKV, FormatMatroska, frames.H264, frames.AAC, true},
	{ProfileMKVVideoOnly, FormatMatroska, frames.H264, frames.CodecUnknown, true},
	{ProfileMKVAudioOnly, FormatMatroska, frames.CodecUnknown, frames.AAC, true},
	{ProfileMP4, FormatMP4, frames.H264, frames.AAC, true},
	{ProfileMP4VideoOnly, FormatMP4, frames.H264, frames.CodecUnknown, true},
	{ProfileMP4AudioOnly, FormatMP4, frames.CodecUnknown, frames.AAC, true},
	{ProfileFLV, FormatFLV, frames.H264, frames.AAC, false},
	{ProfileJPEGVideoOnly, FormatJPEG, frames.CodecUnknown, frames.CodecUnknown, false},
	{ProfileKSR, FormatMatroska, frames.CodecUnknown, frames.CodecUnknown, false},
}

// LookupProfile returns the spec of p.
func LookupProfile(p Profile) (ProfileSpec, error) {
	for _, s := range profiles {
		if s.Profile == p {
			return s, nil
		}
	}
	return ProfileSpec{}, fmt.Errorf("container: unknown media profile %q", p)
}

// Accepts reports whether the profile records media of kind k, and in
// which codec (what the recorder must deliver, transcoding if needed).
func (s ProfileSpec) Accepts(k frames.Kind) (frames.Codec, bool) {
	switch {
	case k == frames.Video && s.Video != frames.CodecUnknown:
		return s.Video, true
	case k == frames.Audio && s.Audio != frames.CodecUnknown:
		return s.Audio, true
	case k == frames.Video && s.Profile == ProfileJPEGVideoOnly:
		return frames.CodecUnknown, true // JPEG images: not a frames codec
	}
	return frames.CodecUnknown, false
}
