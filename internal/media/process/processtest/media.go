package processtest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// The real gorento-worker (GStreamer) for tests. Media is made at test
// time with gst-launch-1.0 and decoded by it; nothing is downloaded. The
// worker binary comes from GORENTO_WORKER_BIN (./dev builds it) or is built
// once per test binary (Cleanup removes it).

var (
	workerOnce     sync.Once
	workerBin      string
	workerErr      error
	builtWorkerDir string // removed by TestMain
)

// WorkerBin returns the gorento-worker binary; it skips the test (fails it
// under CI=true) when gst-launch-1.0 is missing.
func WorkerBin(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("gst-launch-1.0"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("gst-launch-1.0 not installed (scripts/ensure-deps.sh installs it)")
		}
		t.Skip("gst-launch-1.0 not installed (scripts/ensure-deps.sh installs it)")
	}
	workerOnce.Do(func() {
		if p := os.Getenv("GORENTO_WORKER_BIN"); p != "" {
			workerBin = p
			return
		}
		dir, err := os.MkdirTemp("", "gorento-worker-test-")
		if err != nil {
			workerErr = err
			return
		}
		builtWorkerDir = dir
		workerBin = filepath.Join(dir, "gorento-worker")
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..", "..", "..")
		cmd := exec.Command("go", "build", "-o", workerBin, "./cmd/gorento-worker")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			workerErr = fmt.Errorf("build gorento-worker: %v\n%s", err, out)
		}
	})
	if workerErr != nil {
		t.Fatal(workerErr)
	}
	return workerBin
}

// FaceJPEG returns images/face.jpg of the Go module gocv.io/x/gocv v0.31.0
// from the module cache (./dev downloads it outside the test namespace).
func FaceJPEG(t testing.TB) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", "gocv.io/x/gocv@v0.31.0")
	cmd.Dir = t.TempDir()
	out, err := cmd.Output()
	var info struct{ Dir string }
	if err != nil || json.Unmarshal(out, &info) != nil || info.Dir == "" {
		t.Fatalf("gocv.io/x/gocv@v0.31.0 not in the module cache (run `go mod download -json gocv.io/x/gocv@v0.31.0` outside the namespace): %v %s", err, out)
	}
	return filepath.Join(info.Dir, "images", "face.jpg")
}

// GstRTP runs `gst-launch-1.0 <pipeline> ! rtpstreampay ! filesink` and
// returns the RTP packets it produced.
func GstRTP(t testing.TB, pipeline string) [][]byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "media.rtp")
	args := append(SplitArgs(pipeline), "!", "rtpstreampay", "!", "filesink", "location="+out)
	if b, err := exec.Command("gst-launch-1.0", append([]string{"-q"}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("gst-launch-1.0 %s: %v\n%s", pipeline, err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var pkts [][]byte
	for len(data) >= 2 {
		n := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+n {
			break
		}
		pkts = append(pkts, data[2:2+n])
		data = data[2+n:]
	}
	if len(pkts) == 0 {
		t.Fatalf("no RTP from %s", pipeline)
	}
	return pkts
}

// SplitArgs splits a gst-launch description into arguments.
func SplitArgs(s string) []string {
	var out []string
	for _, f := range bytes.Fields([]byte(s)) {
		out = append(out, string(f))
	}
	return out
}

// DecodeRTP decodes RTP packets with gst-launch-1.0 into w×h RGB frames.
func DecodeRTP(t testing.TB, pkts [][]byte, caps, decode string, w, h int) [][]byte {
	t.Helper()
	data := decodeWith(t, pkts, caps, fmt.Sprintf("%s ! videoconvert ! videoscale ! video/x-raw,format=RGB,width=%d,height=%d", decode, w, h))
	var frames [][]byte
	for fs := w * h * 3; len(data) >= fs; data = data[fs:] {
		frames = append(frames, data[:fs])
	}
	if len(frames) == 0 {
		t.Fatal("nothing decoded from the element's output")
	}
	return frames
}

// decodeWith runs `gst-launch-1.0 filesrc ! <caps> ! rtpstreamdepay ! <rest>
// ! filesink` on RTP packets and returns what the sink wrote.
func decodeWith(t testing.TB, pkts [][]byte, caps, rest string) []byte {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "out.rtp"), filepath.Join(dir, "out.raw")
	var buf bytes.Buffer
	for _, p := range pkts {
		_ = binary.Write(&buf, binary.BigEndian, uint16(len(p)))
		buf.Write(p)
	}
	if err := os.WriteFile(in, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	pipe := fmt.Sprintf("filesrc location=%s ! application/x-rtp-stream,%s ! rtpstreamdepay ! %s ! filesink location=%s", in, caps, rest, out)
	if b, err := exec.Command("gst-launch-1.0", append([]string{"-q"}, SplitArgs(pipe)...)...).CombinedOutput(); err != nil {
		t.Fatalf("decode: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Cleanup removes a worker binary built by WorkerBin; call it from TestMain.
func Cleanup() {
	if builtWorkerDir != "" {
		os.RemoveAll(builtWorkerDir)
	}
}

// Main runs a package's tests, then Cleanup: a TestMain for packages whose
// tests use the real worker.
func Main(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}
