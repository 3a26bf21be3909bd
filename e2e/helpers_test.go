// Package e2e holds Gorento's end-to-end tests: the real binary's
// components started in-process, driven by headless Chromium (through
// playwright-core) and by the Go client. They need Debian's chromium and the
// npm packages of js/; `./dev test` installs both and runs these tests in a
// network namespace that has only loopback.
package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/gorento/gorento/internal/app"
	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/pkg/kurento"
)

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// requireBrowser skips without Chromium or the npm packages, except in CI
// (CI=true) where a missing prerequisite is a failure.
func requireBrowser(t *testing.T) {
	t.Helper()
	missing := ""
	for _, p := range []string{"/usr/bin/chromium", filepath.Join(repoRoot(), "js/node_modules/playwright-core"),
		filepath.Join(repoRoot(), "web/static/vendor/kurento-client.js")} {
		if _, err := os.Stat(p); err != nil {
			missing = p
			break
		}
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node"
	}
	if missing == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("browser test prerequisite missing: %s (run ./dev test)", missing)
	}
	t.Skipf("browser test prerequisite missing: %s (run ./dev test)", missing)
}

// startGorento runs Gorento in-process with the web server on a loopback
// port (plain HTTP: 127.0.0.1 is a secure context for getUserMedia) and
// WebRTC restricted to loopback.
func startGorento(t *testing.T, edit func(*config.Config)) (*app.App, string) {
	t.Helper()
	cfg := config.Default()
	cfg.Kurento.Listen, cfg.Kurento.SecureListen = "", ""
	cfg.Web.Listen, cfg.Web.Plain = "127.0.0.1:0", true
	cfg.WebRTC.LoopbackOnly = true
	cfg.DataDir = t.TempDir()
	// The browser tests run with the server's defaults; this switch runs
	// them with the direct inbound path forced on or off.
	if err := cfg.ApplyEnv(func(k string) (string, bool) {
		if k != "GORENTO_DIRECT_INBOUND" {
			return "", false
		}
		return os.LookupEnv(k)
	}); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()}))
	}
	a, err := app.Start(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a, "127.0.0.1:" + portOf(a.Addr("web").String())
}

// logLevel is info, or debug with GORENTO_TEST_DEBUG=1.
func logLevel() slog.Level {
	if os.Getenv("GORENTO_TEST_DEBUG") == "1" {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

func portOf(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[i+1:]
		}
	}
	return addr
}

// driver is a running node script that reports JSON lines.
type driver struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines *bufio.Scanner
}

func startDriver(t *testing.T, script string, args ...string) *driver {
	t.Helper()
	cmd := exec.Command("node", append([]string{filepath.Join(repoRoot(), "js/e2e", script)}, args...)...)
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &driver{cmd: cmd, stdin: stdin, lines: bufio.NewScanner(stdout)}
	d.lines.Buffer(make([]byte, 1<<20), 1<<20)
	t.Cleanup(func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return d
}

// next decodes the next JSON line into v, failing on an error phase.
func (d *driver) next(t *testing.T, v any) map[string]any {
	t.Helper()
	if !d.lines.Scan() {
		t.Fatalf("driver ended without output: %v", d.lines.Err())
	}
	var m map[string]any
	if err := json.Unmarshal(d.lines.Bytes(), &m); err != nil {
		t.Fatalf("driver said %q", d.lines.Text())
	}
	if m["phase"] == "error" {
		t.Fatalf("browser driver failed: %v\npage errors: %v", m["error"], m["pageErrors"])
	}
	if v != nil {
		_ = json.Unmarshal(d.lines.Bytes(), v)
	}
	return m
}

func (d *driver) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(d.stdin, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

// outDir is where screenshots go (ignored by git).
func outDir(t *testing.T) string {
	dir := filepath.Join(repoRoot(), "out")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func client(t *testing.T, url string) *kurento.Client {
	t.Helper()
	c, err := kurento.Dial(context.Background(), url, kurento.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// metricRefused sums gorento_websocket_refused_total{reason="origin"}.
func metricRefused(t *testing.T, url string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	if f := fams["gorento_websocket_refused_total"]; f != nil {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if l.GetName() == "reason" && l.GetValue() == "origin" {
					sum += m.Counter.GetValue()
				}
			}
		}
	}
	return sum
}
