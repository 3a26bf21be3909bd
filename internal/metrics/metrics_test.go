package metrics

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

type fakeKurento struct{ s KurentoStats }

func (f *fakeKurento) KurentoStats() KurentoStats { return f.s }

type fakeRoom struct{ s RoomStats }

func (f *fakeRoom) RoomStats() RoomStats { return f.s }

type fakeMedia struct{ s MediaStats }

func (f *fakeMedia) MediaStats() MediaStats { return f.s }

// Scrape fetches and parses a /metrics handler with the Prometheus text parser.
func Scrape(t testing.TB, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		for _, lp := range m.Label {
			if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func TestRegistry(t *testing.T) {
	r := New()
	k := &fakeKurento{KurentoStats{Connections: 2, Sessions: 3, Requests: 40, RequestErrors: 1, EventsSent: 7,
		Objects: map[string]int64{"MediaPipeline": 1, "WebRtcEndpoint": 2}}}
	r.SetKurento(k)
	r.SetRoom(&fakeRoom{RoomStats{Rooms: 1, Participants: 2, MediaServers: []MediaServerState{{URI: "ws://a", Up: true, Rooms: 1}, {URI: "ws://b"}}}})
	obs := r.Requests("room")
	obs.ObserveRequest("joinRoom", 3*time.Millisecond, 0)
	obs.ObserveRequest("joinRoom", time.Millisecond, 401)
	for i := 0; i < 100; i++ {
		obs.ObserveRequest("made-up-"+string(rune('a'+i%26))+string(rune('a'+i/26)), time.Millisecond, -32601)
	}
	r.Conns().ConnOpened("kurento")
	r.Conns().ConnRefused("room", "origin")
	r.Streams().ObserveRTT("video", Out, 20*time.Millisecond)
	hs := httptest.NewServer(r.Handler())
	defer hs.Close()
	fams := Scrape(t, hs.URL)
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"gorento_kurento_connections", nil, 2},
		{"gorento_kurento_sessions", nil, 3},
		{"gorento_kurento_requests_total", nil, 40},
		{"gorento_kurento_objects", map[string]string{"class": "WebRtcEndpoint"}, 2},
		{"gorento_pipelines", nil, 1},
		{"gorento_rooms", nil, 1},
		{"gorento_room_participants", nil, 2},
		{"gorento_room_media_server_up", map[string]string{"uri": "ws://a"}, 1},
		{"gorento_room_media_server_up", map[string]string{"uri": "ws://b"}, 0},
		{"gorento_request_duration_seconds", map[string]string{"component": "room", "method": "joinRoom"}, 2},
		{"gorento_request_errors_total", map[string]string{"code": "401"}, 1},
		{"gorento_websocket_connections", map[string]string{"endpoint": "kurento"}, 1},
		{"gorento_websocket_refused_total", map[string]string{"endpoint": "room", "reason": "origin"}, 1},
		{"gorento_media_rtt_seconds", map[string]string{"kind": "video", "direction": "out"}, 1},
	}
	for _, c := range checks {
		if v, ok := value(fams, c.name, c.labels); !ok || v != c.want {
			t.Errorf("%s%v = %v (found %v), want %v", c.name, c.labels, v, ok, c.want)
		}
	}
	if n := len(fams["gorento_request_duration_seconds"].Metric); n > maxMethods+1 {
		t.Errorf("%d method labels: invented method names must fold into \"other\"", n)
	}
	if _, ok := fams["process_resident_memory_bytes"]; !ok {
		t.Error("no process metrics")
	}
	if _, ok := fams["gorento_media_packets_total"]; ok {
		t.Error("media counters reported without a media source")
	}
	r.SetMedia(&fakeMedia{MediaStats{Pipelines: 4, Streams: []StreamCounters{{Kind: "video", Direction: In, Packets: 10, Bytes: 1000, PLIs: 2}}}})
	fams = Scrape(t, hs.URL)
	if v, _ := value(fams, "gorento_pipelines", nil); v != 4 {
		t.Errorf("pipelines from the media source = %v", v)
	}
	if v, _ := value(fams, "gorento_media_rtcp_feedback_total", map[string]string{"type": "pli", "direction": "in"}); v != 2 {
		t.Errorf("pli = %v", v)
	}
}

func TestHealth(t *testing.T) {
	h := NewHealth()
	var fail error
	h.AddCheck("media", func() error { return fail })
	live := httptest.NewServer(h.Live())
	defer live.Close()
	ready := httptest.NewServer(h.Readiness())
	defer ready.Close()
	get := func(url string) int {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if get(live.URL) != 200 || get(ready.URL) != 200 {
		t.Fatal("healthy server not ready")
	}
	fail = errors.New("no media server reachable")
	if get(live.URL) != 200 || get(ready.URL) != 503 {
		t.Fatal("failing check must make /readyz 503 and leave /healthz 200")
	}
}
