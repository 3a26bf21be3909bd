package processtest

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// GstRun is what a gst-launch-1.0 run cost.
type GstRun struct {
	CPU      time.Duration // user + system
	MaxRSSKB int64
	Frames   int // frames the encoder produced (a loaded machine drops some in the leaky queues)
}

// FaceOverlayBaseline runs a FaceOverlayFilter's work in a bare
// gst-launch-1.0, paced in real time like a worker's input: a live source
// encoding the picture face (640×480 VP8 at 30 fps, frames frames) feeds
// depay → decode → facedetect (160 px wide, in a leaky branch) → overlay of
// the image overlay → encode → pay, as the worker builds it; the source's
// own cost (measured alone) is subtracted. The benchmarks' yardstick.
func FaceOverlayBaseline(tb testing.TB, face, overlay string, frames int) GstRun {
	tb.Helper()
	live := fmt.Sprintf("filesrc location=%s ! jpegdec ! imagefreeze num-buffers=%d ! video/x-raw,framerate=30/1 ! identity sync=true ! videoconvert ! "+
		"vp8enc deadline=1 keyframe-max-dist=60 target-bitrate=1000000 ! rtpvp8pay pt=96 mtu=1200", face, frames)
	chain := fmt.Sprintf(" ! rtpvp8depay ! vp8dec ! videoconvert ! tee name=t t. ! queue max-size-buffers=1 leaky=downstream ! videoscale ! "+
		"video/x-raw,width=160,pixel-aspect-ratio=1/1 ! videoconvert ! video/x-raw,format=RGB ! "+
		"facedetect display=false updates=every_frame min-size-width=16 min-size-height=16 ! fakesink sync=false async=false "+
		"t. ! queue max-size-buffers=2 leaky=downstream ! gdkpixbufoverlay location=%s ! gdkpixbufoverlay alpha=0 ! gdkpixbufoverlay alpha=0 ! "+
		"gdkpixbufoverlay alpha=0 ! videoconvert ! vp8enc deadline=1 cpu-used=8 threads=2 end-usage=cbr target-bitrate=1000000 keyframe-max-dist=900 "+
		"lag-in-frames=0 error-resilient=default ! identity name=encoded silent=false ! rtpvp8pay ! fakesink sync=false async=false", overlay)
	full := GstLaunch(tb, live+chain)
	source := GstLaunch(tb, live+" ! fakesink sync=false async=false")
	return GstRun{CPU: full.CPU - source.CPU, MaxRSSKB: full.MaxRSSKB, Frames: full.Frames}
}

// GstLaunch runs a gst-launch-1.0 pipeline to its end and returns what it
// cost (Frames counts the buffers of an identity named "encoded", if any).
func GstLaunch(tb testing.TB, pipeline string) GstRun {
	tb.Helper()
	// -v prints a line per buffer of the identity named "encoded".
	cmd := exec.Command("gst-launch-1.0", append([]string{"-v"}, SplitArgs(pipeline)...)...)
	cmd.Env = append(os.Environ(), "OPENCV_LOG_LEVEL=SILENT")
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("gst-launch-1.0: %v\n%s", err, out)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return GstRun{CPU: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), MaxRSSKB: ru.Maxrss,
		Frames: strings.Count(string(out), "GstIdentity:encoded: last-message = chain")}
}

// ProcCPU is a process's user + system CPU time so far (0 when it is gone).
func ProcCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil || pid <= 0 {
		return 0
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(fields[11], 10, 64)
	st, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / 100) // USER_HZ
}

// ProcStatusKB reads a kB field of /proc/<pid>/status (e.g. VmHWM, peak RSS).
func ProcStatusKB(pid int, key string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}
