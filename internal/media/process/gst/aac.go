package gst

import (
	"fmt"
	"strings"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

// AAC (RFC 3640 mpeg4-generic, AAC-hbr) in and out of the worker: players
// decode the AAC of MP4 files, recorders encode the AAC of Kurento's MKV
// and MP4 profiles. The stream's ClockRate is the sample rate; the
// AudioSpecificConfig is AAC-LC at that rate and channel count.

// aacCaps are the RTP caps of an AAC input.
func aacCaps(s ipc.Stream) string {
	rate, ch := aacFormat(s)
	return fmt.Sprintf("application/x-rtp,media=audio,encoding-name=MPEG4-GENERIC,clock-rate=%d,payload=%d,"+
		"mode=(string)AAC-hbr,streamtype=(string)5,sizelength=(string)13,indexlength=(string)3,indexdeltalength=(string)3,"+
		"config=(string)%s,encoding-params=(string)%d", rate, s.PayloadType, aacConfigHex(rate, ch), ch)
}

const aacDecode = "rtpmp4gdepay ! aacparse ! avdec_aac"

// aacEncode is the encode chain of an AAC output (48 kHz unless the
// stream says otherwise; 64 kb/s unless its bitrate does).
func aacEncode(s ipc.Stream, i int, pay string) string {
	rate, ch := aacFormat(s)
	br := s.Bitrate
	if br <= 0 {
		br = 64_000
	}
	return fmt.Sprintf("audioconvert ! audioresample ! audio/x-raw,rate=%d,channels=%d ! avenc_aac name=enc%d bitrate=%d ! "+
		"rtpmp4gpay %s", rate, ch, i, br, pay)
}

func aacFormat(s ipc.Stream) (rate uint32, channels int) {
	rate, channels = s.ClockRate, int(s.Channels)
	if rate == 0 {
		rate = 48000
	}
	if channels == 0 {
		channels = 2
	}
	return rate, channels
}

// aacConfigHex is the AudioSpecificConfig of AAC-LC (object type 2).
func aacConfigHex(rate uint32, channels int) string {
	idx := 15
	for i, r := range []uint32{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350} {
		if r == rate {
			idx = i
		}
	}
	v := uint16(2)<<11 | uint16(idx)<<7 | uint16(channels&0xf)<<3
	return fmt.Sprintf("%04x", v)
}

func isAAC(codec string) bool { return strings.EqualFold(codec, ipc.CodecAAC) }
