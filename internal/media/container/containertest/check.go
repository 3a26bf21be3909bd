package containertest

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// CheckPlayable writes data to dir/name and checks with ffprobe that it
// decodes: the first video frame is a keyframe and the last frame of each
// kind present is at least minLast seconds in.
func CheckPlayable(t testing.TB, dir, name string, data []byte, minLast float64) *Probe {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	p := ProbeFile(t, path, true)
	for _, kind := range []string{"video", "audio"} {
		if p.Codec(kind) == "" {
			continue
		}
		ts, keys := p.FrameTimes(kind)
		if len(ts) == 0 {
			t.Fatalf("%s: no %s frame decoded", name, kind)
		}
		if kind == "video" && !keys[0] {
			t.Fatalf("%s: first video frame is not a keyframe", name)
		}
		if last := ts[len(ts)-1]; last < minLast {
			t.Fatalf("%s: last %s frame at %.3f s, want ≥ %.3f s", name, kind, last, minLast)
		}
	}
	return p
}

// CutName names a truncated copy.
func CutName(base string, at int) string { return base + ".cut" + strconv.Itoa(at) }
