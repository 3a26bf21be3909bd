package media

import (
	"strings"

	"github.com/pion/rtp"
)

// Codec identifies the encoding of a stream as negotiated on its way in.
// Values are immutable and shared by pointer.
type Codec struct {
	MimeType  string // e.g. "video/VP8"
	ClockRate uint32
	Channels  uint16
	Fmtp      string
}

// Matches reports whether a receiver that negotiated o can decode packets
// encoded as c without transcoding.
func (c *Codec) Matches(o *Codec) bool {
	if c == nil || o == nil {
		return false
	}
	if !strings.EqualFold(c.MimeType, o.MimeType) || c.ClockRate != o.ClockRate {
		return false
	}
	if strings.EqualFold(c.MimeType, "video/H264") {
		return h264Compatible(c.Fmtp, o.Fmtp)
	}
	return true
}

// Same reports whether c and o name the same format: each matches the
// other (a nil codec is the same as nothing).
func (c *Codec) Same(o *Codec) bool { return c == o || (c.Matches(o) && o.Matches(c)) }

// Kind returns the media type of the codec (from its MIME type).
func (c *Codec) Kind() MediaType {
	if len(c.MimeType) >= 6 && strings.EqualFold(c.MimeType[:6], "audio/") {
		return Audio
	}
	if len(c.MimeType) >= 6 && strings.EqualFold(c.MimeType[:6], "video/") {
		return Video
	}
	return Data
}

// Packet is one RTP packet travelling through a pipeline. Packets are passed
// by pointer to every sink synchronously; a sink must not keep the pointer,
// the header slices or the payload after Consume returns — a sink that
// needs the packet later holds it with HoldPacket.
type Packet struct {
	Header  rtp.Header
	Payload []byte
	Codec   *Codec
	// Buf is the pooled storage the packet lives in (nil: the producer's
	// own memory). A Packet with Buf is the one inside that buffer; an
	// element that copies a Packet to change it must clear Buf.
	Buf *PacketBuf
	// EnteredAt is the monotonic time (ns) at which the packet entered the
	// pipeline, set only while the pipeline measures latency.
	EnteredAt int64
	// Layer is the simulcast layer (encoding) of a video packet, 0 the
	// lowest; with PacketSimulcast unset the source has one layer.
	Layer uint8
	// TID is the temporal layer of a VP8 packet (0 when absent).
	TID uint8
	// Flags describe the packet as its producer classified it.
	Flags PacketFlags
	// DataLabel and DataText describe a data-channel message (media type
	// DATA), whose bytes are in Payload.
	DataLabel string
	DataText  bool
}

// PacketFlags are what a producer learnt about a packet.
type PacketFlags uint8

const (
	// PacketSimulcast: the packet is one of several layers pushed through
	// the same source pad (Layer tells which); sinks that do not choose
	// layers themselves get one (see LayerSwitch).
	PacketSimulcast PacketFlags = 1 << iota
	// PacketKeyframe: the packet starts a keyframe of its layer (set with
	// PacketSimulcast).
	PacketKeyframe
)

// MaxLayers bounds the simulcast layers of one source.
const MaxLayers = 4

// history returns the source history pkt belongs to and its extended
// sequence number there (nil when it has none).
func (pkt *Packet) history() (*SourceRing, uint64) {
	if b := pkt.Buf; b != nil && &b.pkt == pkt {
		return b.ring, b.ext
	}
	return nil, 0
}

// History returns the retransmission history pkt is kept in and its
// extended sequence number there; nil when it is not kept (audio, or a
// packet that is not the one in its buffer).
func (pkt *Packet) History() (*SourceRing, uint64) { return pkt.history() }

// h264Compatible compares the profile (profile_idc and constraint flags) and
// the packetization mode of two H.264 fmtp lines; the level may differ.
func h264Compatible(a, b string) bool {
	pa, ma := h264Params(a)
	pb, mb := h264Params(b)
	return ma == mb && (pa == "" || pb == "" || strings.EqualFold(pa[:4], pb[:4]))
}

func h264Params(fmtp string) (profile string, mode string) {
	mode = "0"
	for _, kv := range strings.Split(fmtp, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		switch strings.ToLower(k) {
		case "profile-level-id":
			if len(v) == 6 {
				profile = v
			}
		case "packetization-mode":
			mode = v
		}
	}
	return profile, mode
}
