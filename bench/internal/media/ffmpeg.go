package media

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Generate makes the benchmark media with Debian's ffmpeg (libvpx and
// libopus) in dir, unless the files are already there: 720p30 VP8 at
// ~2 Mb/s with a keyframe every 90 frames, and 48 kHz Opus at 32 kb/s, 8 s
// each (the generator loops them).
func Generate(dir string) (ivf, ogg string, err error) {
	ivf, ogg = filepath.Join(dir, "vp8_720p_2000k.ivf"), filepath.Join(dir, "opus_32k.ogg")
	if exists(ivf) && exists(ogg) {
		return ivf, ogg, nil
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return "", "", fmt.Errorf("ffmpeg not found: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	runs := [][]string{
		{"-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-t", "8", "-c:v", "libvpx", "-deadline", "realtime",
			"-cpu-used", "8", "-b:v", "2000K", "-g", "90", "-f", "ivf", ivf + ".tmp"},
		{"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "8", "-c:a", "libopus", "-b:a", "32k",
			"-frame_duration", "20", "-page_duration", "20000", "-f", "ogg", ogg + ".tmp"},
	}
	for i, args := range runs {
		cmd := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("ffmpeg: %v: %s", err, out)
		}
		dst := []string{ivf, ogg}[i]
		if err := os.Rename(dst+".tmp", dst); err != nil {
			return "", "", err
		}
	}
	return ivf, ogg, nil
}

func exists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Size() > 0
}
