// Package containertest makes test media with ffmpeg and checks files with
// ffprobe (Debian's ffmpeg, installed by scripts/ensure-deps.sh). Media is
// generated at test time (testsrc + sine), short and small.
package containertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Spec describes a file to generate.
type Spec struct {
	Video     string // "vp8", "vp9", "h264", "av1", "" for none
	Audio     string // "opus", "aac", "" for none
	Container string // "webm", "mkv", "mp4"
	Seconds   int
	// Fragmented writes a fragmented MP4 (moof per keyframe).
	Fragmented bool
	// FastStart moves the moov before the mdat.
	FastStart bool
	// GOP is the keyframe interval in frames (default 30 = 1 s).
	GOP int
	// Size of the video (default "320x240") and its bitrate in kb/s for
	// VP8/VP9 (default 300).
	Size      string
	VideoKbps int
}

func need(t testing.TB, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s not found: install it with scripts/ensure-deps.sh (Debian ffmpeg)", tool)
	}
	return p
}

func run(t testing.TB, tool string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, need(t, tool), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// Make writes a test file into dir and returns its path: testsrc (320x240
// unless Size says) at 30 fps and a 440 Hz sine at 48 kHz stereo.
func Make(t testing.TB, dir string, s Spec) string {
	t.Helper()
	if s.Seconds == 0 {
		s.Seconds = 4
	}
	if s.GOP == 0 {
		s.GOP = 30
	}
	name := fmt.Sprintf("src-%s-%s-%d", s.Video, s.Audio, s.Seconds)
	if s.Size != "" || s.VideoKbps != 0 || s.GOP != 30 {
		name += fmt.Sprintf("-%s-%dk-g%d", s.Size, s.VideoKbps, s.GOP)
	}
	if s.Size == "" {
		s.Size = "320x240"
	}
	if s.VideoKbps == 0 {
		s.VideoKbps = 300
	}
	if s.Fragmented {
		name += "-frag"
	}
	if s.FastStart {
		name += "-fast"
	}
	path := filepath.Join(dir, name+"."+s.Container)
	args := []string{"-nostdin", "-loglevel", "error", "-y"}
	if s.Video != "" {
		args = append(args, "-f", "lavfi", "-i", fmt.Sprintf("testsrc=size=%s:rate=30:duration=%d", s.Size, s.Seconds))
	}
	if s.Audio != "" {
		args = append(args, "-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:sample_rate=48000:duration=%d", s.Seconds))
	}
	gop := strconv.Itoa(s.GOP)
	switch s.Video {
	case "vp8":
		args = append(args, "-c:v", "libvpx", "-b:v", fmt.Sprintf("%dk", s.VideoKbps), "-deadline", "realtime", "-cpu-used", "8", "-g", gop, "-keyint_min", gop)
	case "vp9":
		args = append(args, "-c:v", "libvpx-vp9", "-b:v", "300k", "-deadline", "realtime", "-cpu-used", "8", "-g", gop, "-keyint_min", gop)
	case "av1":
		args = append(args, "-c:v", "libaom-av1", "-usage", "realtime", "-cpu-used", "8", "-b:v", "200k", "-g", gop, "-keyint_min", gop)
	case "h264": // constrained baseline as WebRTC sends it: no B-frames
		args = append(args, "-c:v", "libx264", "-profile:v", "baseline", "-preset", "ultrafast", "-tune", "zerolatency",
			"-pix_fmt", "yuv420p", "-g", gop, "-keyint_min", gop, "-sc_threshold", "0")
	}
	switch s.Audio {
	case "opus":
		args = append(args, "-c:a", "libopus", "-b:a", "48k", "-ac", "2")
	case "aac":
		args = append(args, "-c:a", "aac", "-b:a", "64k", "-ac", "2")
	}
	if s.Container == "mp4" {
		switch {
		case s.Fragmented:
			args = append(args, "-movflags", "frag_keyframe+empty_moov+default_base_moof")
		case s.FastStart:
			args = append(args, "-movflags", "+faststart")
		}
	}
	args = append(args, path)
	run(t, "ffmpeg", args...)
	return path
}

// Probe is what ffprobe says about a file.
type Probe struct {
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
	} `json:"format"`
	Streams []struct {
		Index     int    `json:"index"`
		CodecName string `json:"codec_name"`
		CodecType string `json:"codec_type"`
		StartTime string `json:"start_time"`
		Duration  string `json:"duration"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
		Channels  int    `json:"channels"`
	} `json:"streams"`
	Frames []struct {
		MediaType   string `json:"media_type"`
		StreamIndex int    `json:"stream_index"`
		KeyFrame    int    `json:"key_frame"`
		PTSTime     string `json:"pts_time"`
		BestEffort  string `json:"best_effort_timestamp_time"`
	} `json:"frames"`
}

// ProbeFile runs ffprobe -show_streams -show_format (and -show_frames,
// which decodes every frame, when frames is set).
func ProbeFile(t testing.TB, path string, frames bool) *Probe {
	t.Helper()
	args := []string{"-v", "error", "-of", "json", "-show_streams", "-show_format"}
	if frames {
		args = append(args, "-show_frames")
	}
	out := run(t, "ffprobe", append(args, path)...)
	var p Probe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("ffprobe output: %v", err)
	}
	return &p
}

func seconds(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return -1
	}
	return v
}

// Duration is the format duration in seconds (-1 when absent).
func (p *Probe) Duration() float64 { return seconds(p.Format.Duration) }

// Codec returns the codec name of the first stream of type kind ("video",
// "audio"), "" if none.
func (p *Probe) Codec(kind string) string {
	for _, s := range p.Streams {
		if s.CodecType == kind {
			return s.CodecName
		}
	}
	return ""
}

// FrameTimes returns the timestamps of the decoded frames of kind, and
// whether each is a keyframe.
func (p *Probe) FrameTimes(kind string) (times []float64, keys []bool) {
	for _, f := range p.Frames {
		if f.MediaType != kind {
			continue
		}
		ts := f.PTSTime
		if ts == "" {
			ts = f.BestEffort
		}
		times = append(times, seconds(ts))
		keys = append(keys, f.KeyFrame == 1)
	}
	return times, keys
}

// StartOffset is the difference between the first decoded audio and video
// frame times (0 when the file lacks one of them).
func (p *Probe) StartOffset() float64 {
	v, _ := p.FrameTimes("video")
	a, _ := p.FrameTimes("audio")
	if len(v) == 0 || len(a) == 0 {
		return 0
	}
	d := v[0] - a[0]
	if d < 0 {
		d = -d
	}
	return d
}

// MaxGap is the largest interval between consecutive frames of kind.
func (p *Probe) MaxGap(kind string) float64 {
	ts, _ := p.FrameTimes(kind)
	g := 0.0
	for i := 1; i < len(ts); i++ {
		g = max(g, ts[i]-ts[i-1])
	}
	return g
}
