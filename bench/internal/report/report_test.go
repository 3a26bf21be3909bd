package report

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorento/gorento/bench/internal/scenario"
)

func load(server string, n int, cpu float64) scenario.Load {
	return scenario.Load{Scenario: "fanout", Server: server, N: n, SRTP: "gcm", CPUPerPktUs: cpu, Received: 100, Expected: 100,
		LatP50Ms: 2, LatP99Ms: 10, RSSPerEndpointKB: 500, LatN: 10, RecvCPUPerPkt: math.NaN()}
}

// TestWrite checks the ratio pairing, the goal verdicts, NaN handling and
// that every output file is written.
func TestWrite(t *testing.T) {
	r := &Results{Mode: "compare", Plan: map[string]string{"reps": "3"}, Host: map[string]string{}}
	r.Loads = []scenario.Load{ // A-B-A-B-A-B
		load("gorento", 40, 10), load("janus", 40, 40),
		load("gorento", 40, 12), load("janus", 40, 30),
		load("gorento", 40, 9), load("janus", 40, 30),
	}
	dir := t.TempDir()
	if err := Write(dir, r); err != nil {
		t.Fatal(err)
	}
	row := r.row("fanout", 40, "gcm", "CPU per packet (µs)")
	if row == nil {
		t.Fatal("no CPU row")
	}
	rt := row.Ratios["janus"]
	if rt.Min != 0.25 || rt.Max != 0.4 || math.Abs(rt.Median-0.3) > 1e-9 {
		t.Fatalf("ratios %+v", rt)
	}
	var g1 *Goal
	for i, g := range r.Goals {
		if g.ID == "G1" && strings.HasSuffix(g.Target, "janus") {
			g1 = &r.Goals[i]
		}
		if strings.HasSuffix(g.Target, "livekit") {
			t.Fatalf("goal against a peer that did not run: %+v", g)
		}
	}
	if g1 == nil || g1.Pass == nil || !*g1.Pass {
		t.Fatalf("G1 vs janus: %+v", g1)
	}
	for _, f := range []string{"results.md", "results.json", "cpu_per_packet.png", "latency_p99.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Fatalf("%s: %v", f, err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "results.json"))
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("results.json: %v", err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "results.md"))
	if !strings.Contains(string(md), "| CPU per packet (µs) | 10.0 (9.00–12.0) | 30.0 (30.0–40.0) | 0.30× (0.25–0.40) |") {
		t.Fatalf("markdown table:\n%s", md)
	}
}
