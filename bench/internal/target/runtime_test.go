package target

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestScrapeGoRuntime(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       RuntimeStats
		wantErr    bool
	}{
		{"both", "# HELP go_goroutines x\ngo_goroutines 17\ngo_memstats_heap_alloc_bytes 2.5e+06\ngo_threads 7\n", RuntimeStats{Goroutines: 17, HeapBytes: 2500000}, false},
		{"missing heap", "go_goroutines 17\n", RuntimeStats{}, true},
		{"not metrics", "<html></html>\n", RuntimeStats{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, tc.body) }))
			defer srv.Close()
			got, err := scrapeGoRuntime(context.Background(), srv.URL)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
