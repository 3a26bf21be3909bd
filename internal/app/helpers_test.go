package app

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/internal/testutil"
)

// start runs an App on loopback: plain Kurento listener, plain web
// listener, WebRTC on loopback; edit adjusts the configuration.
func start(t *testing.T, edit func(*config.Config)) *App {
	t.Helper()
	cfg := config.Default()
	cfg.Kurento.Listen, cfg.Kurento.SecureListen = "127.0.0.1:0", ""
	cfg.Web.Listen, cfg.Web.Plain = "127.0.0.1:0", true
	cfg.WebRTC.LoopbackOnly = true
	cfg.DataDir = t.TempDir()
	if edit != nil {
		edit(&cfg)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if !testing.Verbose() { // the server's log is shown when the test fails
		buf := &testutil.LockedBuffer{}
		log = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("server log:\n%s", buf.String())
			}
		})
	}
	a, err := Start(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

func (a *App) wsURL(listener, path string) string { return "ws://" + a.Addr(listener).String() + path }

func (a *App) httpURL(listener, path string) string {
	return "http://" + a.Addr(listener).String() + path
}

// handshake dials a WebSocket and returns the HTTP status (101 when it
// opened; the socket is then closed) and the socket when asked to keep it.
func handshake(t *testing.T, url string, h http.Header, from string) (int, *websocket.Conn) {
	t.Helper()
	d := &websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	if from != "" {
		nd := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		d.NetDialContext = nd.DialContext
	}
	ws, resp, err := d.DialContext(context.Background(), url, h)
	if resp != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		if resp == nil {
			t.Fatalf("dial %s: %v", url, err)
		}
		return resp.StatusCode, nil
	}
	t.Cleanup(func() { _ = ws.Close() })
	return resp.StatusCode, ws
}

func originHeader(o string) http.Header {
	h := http.Header{}
	if o != "" {
		h.Set("Origin", o)
	}
	return h
}

// scrape reads /metrics with the Prometheus text parser.
func scrape(t *testing.T, url string, h http.Header) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d", url, resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return fams
}

// metric returns the value of the first sample of name whose labels
// include the given ones (histograms: the sample count).
func metric(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.Label {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

func getStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
