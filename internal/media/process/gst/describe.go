package gst

import (
	"fmt"
	"strings"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

// Default encoder bounds, bits per second.
const (
	defaultVideoBitrate = 600_000
	defaultAudioBitrate = 32_000
	defaultMTU          = 1200
	// OverlaySlots is how many images an ImageOverlayFilter (or faces a
	// FaceOverlayFilter) can show at once: each is a gdkpixbufoverlay.
	OverlaySlots = 4
)

func clockRate(s ipc.Stream) uint32 {
	if s.ClockRate != 0 {
		return s.ClockRate
	}
	switch strings.ToUpper(s.Codec) {
	case "OPUS":
		return 48000
	case "PCMU", "PCMA":
		return 8000
	}
	return 90000
}

// inputCaps are the RTP caps of an appsrc for stream s.
func inputCaps(s ipc.Stream) string {
	if isAAC(s.Codec) {
		return aacCaps(s) // aac.go
	}
	name := strings.ToUpper(s.Codec)
	c := fmt.Sprintf("application/x-rtp,media=%s,encoding-name=%s,clock-rate=%d,payload=%d",
		s.Kind(), name, clockRate(s), s.PayloadType)
	if name == "OPUS" {
		c += ",encoding-params=(string)2"
	}
	return c
}

// decodeChain is depayload → decode for one input; the depayloaders ask
// upstream for a keyframe after loss (caught on the appsrc, reported as
// needKeyframe) and drop until one arrives.
func decodeChain(s ipc.Stream) (string, error) {
	switch strings.ToUpper(s.Codec) {
	case "VP8":
		return "rtpvp8depay request-keyframe=true wait-for-keyframe=true ! vp8dec", nil
	case "VP9":
		return "rtpvp9depay request-keyframe=true wait-for-keyframe=true ! vp9dec", nil
	case "H264":
		return "rtph264depay request-keyframe=true wait-for-keyframe=true ! h264parse ! avdec_h264", nil
	case "OPUS":
		return "rtpopusdepay ! opusdec plc=true", nil
	case "PCMU":
		return "rtppcmudepay ! mulawdec", nil
	case "PCMA":
		return "rtppcmadepay ! alawdec", nil
	case "AAC":
		return aacDecode, nil // aac.go
	}
	return "", fmt.Errorf("unsupported input codec %q", s.Codec)
}

// clampBitrate bounds a target by the stream's min/max.
func clampBitrate(s ipc.Stream, target int) int {
	if target <= 0 {
		target = s.Bitrate
	}
	if target <= 0 {
		if s.Kind() == "audio" {
			target = defaultAudioBitrate
		} else {
			target = defaultVideoBitrate
		}
	}
	if s.MinBitrate > 0 && target < s.MinBitrate {
		target = s.MinBitrate
	}
	if s.MaxBitrate > 0 && target > s.MaxBitrate {
		target = s.MaxBitrate
	}
	return target
}

// encodeChain is convert → encode → payload → appsink for output i. The
// encoder is named enc<i>, the sink sink<i>.
func encodeChain(s ipc.Stream, i int, rtpTime bool) (string, error) {
	mtu := s.MTU
	if mtu <= 0 {
		mtu = defaultMTU
	}
	pay := fmt.Sprintf("pt=%d mtu=%d", s.PayloadType, mtu)
	if rtpTime {
		pay += " timestamp-offset=0" // output RTP time = input RTP time (rtptime.go)
	}
	if s.SSRC != 0 {
		pay += fmt.Sprintf(" ssrc=%d", s.SSRC)
	}
	br := clampBitrate(s, 0)
	sink := fmt.Sprintf("appsink name=sink%d sync=false async=false max-buffers=200 drop=true", i)
	var enc string
	switch strings.ToUpper(s.Codec) {
	case "VP8":
		enc = fmt.Sprintf("videoconvert ! vp8enc name=enc%d deadline=1 cpu-used=8 threads=2 end-usage=cbr target-bitrate=%d "+
			"keyframe-max-dist=900 lag-in-frames=0 error-resilient=default buffer-size=1000 ! rtpvp8pay picture-id-mode=15-bit %s", i, br, pay)
	case "VP9":
		enc = fmt.Sprintf("videoconvert ! vp9enc name=enc%d deadline=1 cpu-used=8 threads=2 end-usage=cbr target-bitrate=%d "+
			"keyframe-max-dist=900 lag-in-frames=0 row-mt=true ! rtpvp9pay picture-id-mode=15-bit %s", i, br, pay)
	case "H264":
		profile := s.H264Profile
		if profile == "" {
			profile = "constrained-baseline"
		}
		enc = fmt.Sprintf("videoconvert ! x264enc name=enc%d tune=zerolatency speed-preset=ultrafast threads=2 bitrate=%d key-int-max=900 ! "+
			"video/x-h264,profile=%s ! rtph264pay config-interval=-1 aggregate-mode=zero-latency %s", i, br/1000, profile, pay)
	case "OPUS":
		ch := s.Channels
		if ch == 0 {
			ch = 2
		}
		enc = fmt.Sprintf("audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=%d ! opusenc name=enc%d bitrate=%d frame-size=20 ! rtpopuspay %s", ch, i, br, pay)
	case "PCMU":
		enc = fmt.Sprintf("audioconvert ! audioresample ! audio/x-raw,rate=8000,channels=1 ! mulawenc name=enc%d ! rtppcmupay %s", i, pay)
	case "PCMA":
		enc = fmt.Sprintf("audioconvert ! audioresample ! audio/x-raw,rate=8000,channels=1 ! alawenc name=enc%d ! rtppcmapay %s", i, pay)
	case "AAC":
		enc = aacEncode(s, i, pay) // aac.go
	default:
		return "", fmt.Errorf("unsupported output codec %q", s.Codec)
	}
	return enc + " ! " + sink, nil
}

// processingChain is what runs between decode and encode, on raw media.
func processingChain(spec *ipc.Spec) (string, error) {
	p := spec.Processing
	kind := spec.Inputs[0].Kind()
	switch p.Kind {
	case ipc.ProcNone:
		if kind == "video" {
			return "videoconvert", nil
		}
		return "audioconvert ! audioresample", nil
	case ipc.ProcFaceOverlay:
		w := p.DetectWidth
		if w <= 0 {
			w = 160
		}
		// Detection runs on a scaled-down copy in its own thread (a leaky
		// queue keeps it from slowing the video); the overlays draw on the
		// full frame at the positions the worker computes.
		return "videoconvert ! tee name=facetee " +
			"facetee. ! queue max-size-buffers=1 leaky=downstream ! videoscale ! " +
			fmt.Sprintf("video/x-raw,width=%d,pixel-aspect-ratio=1/1 ! videoconvert ! video/x-raw,format=RGB ! ", w) +
			"facedetect name=facedetect display=false updates=every_frame min-size-width=16 min-size-height=16 ! fakesink sync=false async=false " +
			"facetee. ! queue max-size-buffers=2 leaky=downstream ! " + overlaySlots("face"), nil
	case ipc.ProcImageOverlay:
		return "videoconvert ! " + overlaySlots("image"), nil
	case ipc.ProcZBar:
		return "videoconvert ! zbar name=zbar cache=true", nil
	case ipc.ProcChroma:
		return "videoconvert ! video/x-raw,format=RGBA ! identity name=chroma", nil
	case ipc.ProcGStreamer:
		if kind == "video" {
			return "videoconvert ! " + p.Command + " ! videoconvert", nil
		}
		return "audioconvert ! audioresample ! " + p.Command + " ! audioconvert ! audioresample", nil
	}
	return "", fmt.Errorf("unknown processing %q", p.Kind)
}

// overlaySlots chains OverlaySlots gdkpixbufoverlay elements named
// <prefix>0… that start transparent. Their offsets are absolute pixels: in
// the default mode a negative offset counts from the opposite edge, which
// put a hat meant to rise above the top of the frame down over the face.
func overlaySlots(prefix string) string {
	parts := make([]string, OverlaySlots)
	for i := range parts {
		parts[i] = fmt.Sprintf("gdkpixbufoverlay name=%s%d alpha=0 positioning-mode=pixels-absolute", prefix, i)
	}
	return strings.Join(parts, " ! ")
}

// Describe returns the gst-launch description of a whole element pipeline:
// appsrc src<i> per input, appsink sink<i> per output.
func Describe(spec *ipc.Spec) (string, error) {
	if len(spec.Inputs) != 1 {
		return "", fmt.Errorf("%d inputs: only one-input processing is implemented", len(spec.Inputs))
	}
	in := spec.Inputs[0]
	dec, err := decodeChain(in)
	if err != nil {
		return "", err
	}
	proc, err := processingChain(spec)
	if err != nil {
		return "", err
	}
	// A ProcNone leg is stamped from its input's RTP time (rtptime.go);
	// filters from arrival.
	rtpTime := spec.Processing.Kind == ipc.ProcNone
	var b strings.Builder
	fmt.Fprintf(&b, "appsrc name=src0 is-live=true do-timestamp=%t format=time min-latency=0 "+
		"max-bytes=4000000 block=false leaky-type=downstream caps=\"%s\" ! %s ! %s", !rtpTime, inputCaps(in), dec, proc)
	if len(spec.Outputs) == 1 {
		enc, err := encodeChain(spec.Outputs[0], 0, rtpTime)
		if err != nil {
			return "", err
		}
		b.WriteString(" ! " + enc)
		return b.String(), nil
	}
	// Decode once, encode per output (issue 11's transcoder).
	b.WriteString(" ! tee name=outtee")
	for i, o := range spec.Outputs {
		enc, err := encodeChain(o, i, rtpTime)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, " outtee. ! queue max-size-buffers=3 leaky=downstream ! %s", enc)
	}
	return b.String(), nil
}
