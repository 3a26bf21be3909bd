package frames

// Frame is one complete access unit.
type Frame struct {
	Codec Codec
	// Data is the access unit (see the package doc for its format per codec).
	// It belongs to the receiver of the Frame.
	Data []byte
	// Timestamp is the RTP timestamp extended to 64 bits (no wrap), in the
	// codec's clock rate; RTPTimestamp is the original 32-bit value.
	Timestamp    int64
	RTPTimestamp uint32
	// Keyframe is set for frames a decoder can start from (every audio frame).
	Keyframe bool
	// Lost counts the packets lost or discarded between the previous frame
	// and this one (0 when the stream was contiguous).
	Lost int
	// Discontinuity is set on the first frame after frames were dropped
	// (loss, or video waiting for a keyframe).
	Discontinuity bool
	// NewSource is set on the first frame after the SSRC changed: Timestamp
	// starts a new timeline there.
	NewSource bool
}
