package quality

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Camera makes the publisher's camera as e2e/quality_test.go does: 4 s of
// 1280×720@30 Y4M (testsrc2 with light temporal noise, played forward then
// backward so Chromium's loop has no jump), ~170 MB, in dir.
func Camera(dir string) (string, error) {
	path := filepath.Join(dir, "camera-720p30.y4m")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("camera: %w", err)
	}
	out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=2",
		"-filter_complex", "[0]noise=alls=6:allf=t,split[a][b];[b]reverse[r];[a][r]concat=n=2:v=1", "-pix_fmt", "yuv420p",
		"-f", "yuv4mpegpipe", path).CombinedOutput()
	if err != nil {
		_ = os.Remove(path)
		return "", fmt.Errorf("ffmpeg: %w: %s", err, out)
	}
	return path, nil
}
