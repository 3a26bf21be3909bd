package target

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RuntimeStats is what a server reports of its own runtime.
type RuntimeStats struct {
	Goroutines int
	HeapBytes  int64 // heap objects allocated and not yet freed (includes garbage not collected yet)
}

// Introspector is a server that reports its runtime (gorento: Prometheus
// /metrics on its Kurento listener).
type Introspector interface {
	RuntimeStats(ctx context.Context) (RuntimeStats, error)
}

// RuntimeStats implements Introspector from gorento's /metrics (served on
// the Kurento listener when no web or metrics listener is configured).
func (g *Gorento) RuntimeStats(ctx context.Context) (RuntimeStats, error) {
	if g.kmsURL == "" {
		return RuntimeStats{}, ErrUnsupported
	}
	url := "http://" + strings.TrimSuffix(strings.TrimPrefix(g.kmsURL, "ws://"), "/kurento") + "/metrics"
	return scrapeGoRuntime(ctx, url)
}

// scrapeGoRuntime reads go_goroutines and go_memstats_heap_alloc_bytes from
// a Prometheus text exposition.
func scrapeGoRuntime(ctx context.Context, url string) (RuntimeStats, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return RuntimeStats{}, err
	}
	req.Close = true // no idle connection (and server goroutine) left behind between readings
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return RuntimeStats{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return RuntimeStats{}, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	var st RuntimeStats
	found := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			continue
		}
		switch name {
		case "go_goroutines":
			st.Goroutines, found = int(f), found+1
		case "go_memstats_heap_alloc_bytes":
			st.HeapBytes, found = int64(f), found+1
		}
	}
	if err := sc.Err(); err != nil {
		return st, err
	}
	if found < 2 {
		return st, fmt.Errorf("GET %s: no go_goroutines / go_memstats_heap_alloc_bytes", url)
	}
	return st, nil
}
