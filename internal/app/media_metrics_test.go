package app

import (
	"context"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/pkg/kurento"
)

// TestMediaMetricsMove scrapes /metrics (Prometheus text parser) during a
// call: the media counters move with the media, the feedback a receiver
// sends is counted, the quality histograms fill, the Kurento requests are
// timed per operation with their error codes, and after the call the
// totals stay (counters never go back).
func TestMediaMetricsMove(t *testing.T) {
	a := start(t, nil)
	cl, err := kurento.Dial(context.Background(), a.wsURL("kurento", "/kurento"), kurento.Options{NoReconnect: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	url := a.httpURL("web", "/metrics")
	pipe, peer := loopback(t, cl)
	first := scrape(t, url, nil)
	video := func(f map[string]*dto.MetricFamily, name, dir string, more ...string) float64 {
		return metric(f, name, append([]string{"kind", "video", "direction", dir}, more...)...)
	}
	if metric(first, "gorento_media_workers") != 0 || metric(first, "gorento_media_worker_failures_total") != 0 {
		t.Errorf("processing workers not reported: %v", first["gorento_media_workers"])
	}
	if n := metric(first, "gorento_media_endpoints", "class", "WebRtcEndpoint"); n != 1 {
		t.Errorf("endpoints = %v, want 1", n)
	}
	for _, s := range []string{"CONNECTED", "READY"} {
		if metric(first, "gorento_media_endpoints", "class", "WebRtcEndpoint", "state", s) == 1 {
			break
		} else if s == "READY" {
			t.Errorf("the connected endpoint is in no connected ICE state: %v", first["gorento_media_endpoints"])
		}
	}
	// Three of each, and one more of each every second while the test
	// waits: one sent once can be lost on a loaded machine.
	nacked := uint16(0)
	feedback := func() {
		if err := peer.SendPLI(); err != nil {
			t.Fatal(err)
		}
		if err := peer.SendNACK(nacked); err != nil {
			t.Fatal(err)
		}
		nacked++
	}
	for i := 0; i < 3; i++ {
		feedback()
	}
	var during map[string]*dto.MetricFamily
	sentAt := time.Now()
	testutil.Eventually(t, 10*time.Second, "media counters, feedback and quality histograms moving", func() bool {
		if time.Since(sentAt) >= time.Second {
			feedback()
			sentAt = time.Now()
		}
		during = scrape(t, url, nil)
		return video(during, "gorento_media_packets_total", "in") > video(first, "gorento_media_packets_total", "in") &&
			video(during, "gorento_media_packets_total", "out") > video(first, "gorento_media_packets_total", "out") &&
			video(during, "gorento_media_bytes_total", "out") > video(first, "gorento_media_bytes_total", "out") &&
			video(during, "gorento_media_rtcp_feedback_total", "out", "type", "pli") >= 3 &&
			video(during, "gorento_media_rtcp_feedback_total", "out", "type", "nack") >= 3 &&
			video(during, "gorento_media_loss_ratio", "in") > 0 && video(during, "gorento_media_jitter_seconds", "in") > 0 &&
			video(during, "gorento_media_rtt_seconds", "out") > 0 && video(during, "gorento_media_loss_ratio", "out") > 0
	})
	t.Logf("video in %v packets, out %v packets", video(during, "gorento_media_packets_total", "in"), video(during, "gorento_media_packets_total", "out"))
	if n := metric(during, "gorento_request_duration_seconds", "component", "kurento", "method", "invoke:processOffer"); n != 1 {
		t.Errorf("processOffer timed %v times, want 1", n)
	}
	if _, err := cl.Call(context.Background(), "invoke", map[string]any{"object": "no-such-object", "operation": "getName"}); !kurento.IsCode(err, 40101) {
		t.Fatalf("invoke on a missing object: %v", err)
	}
	after := scrape(t, url, nil)
	if n := metric(after, "gorento_request_errors_total", "component", "kurento", "code", "40101"); n != 1 {
		t.Errorf("40101 errors = %v, want 1", n)
	}
	if err := pipe.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	released := scrape(t, url, nil)
	if metric(released, "gorento_media_endpoints", "class", "WebRtcEndpoint") != -1 || metric(released, "gorento_pipelines") != 0 {
		t.Errorf("endpoints or pipelines left after release: %v %v", released["gorento_media_endpoints"], released["gorento_pipelines"])
	}
	for _, dir := range []string{"in", "out"} {
		if got, was := video(released, "gorento_media_packets_total", dir), video(during, "gorento_media_packets_total", dir); got < was {
			t.Errorf("video %s packets went back from %v to %v after release", dir, was, got)
		}
	}
}
