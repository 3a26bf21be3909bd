package process

import (
	"io"
	"log/slog"
	"strings"
	"testing"
)

// A worker that dies says why in its error: the C library's or the Go
// runtime's reason, not the last lines of the stack dump that follows.
func TestWorkerErrorHint(t *testing.T) {
	tests := []struct {
		name, out, want, not string
	}{
		{"glibc abort in a Go process",
			"malloc_consolidate(): unaligned fastbin chunk detected\nSIGABRT: abort\nPC=0x7f m=0 sigcode=18446744073709551610\n" +
				strings.Repeat("goroutine 1 [running]:\nmain.main()\n", 50) + "rip    0x7f4ec4f5fa97\ncs     0x33\nfs     0x0\ngs     0x0\n",
			"malloc_consolidate(): unaligned fastbin chunk detected | SIGABRT: abort", "gs     0x0"},
		{"Go panic", "panic: runtime error: index out of range\n\ngoroutine 7 [running]:\n", "panic: runtime error", ""},
		{"plain exit", "gorento-worker: fd 3 is not gorento's socket\n", "fd 3 is not gorento's socket", ""},
		{"missing library", "gorento-worker: error while loading shared libraries: libgstreamer-1.0.so.0\n", "gstreamer1.0-plugins-base", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTailWriter(slog.New(slog.NewTextHandler(io.Discard, nil)), 20)
			_, _ = w.Write([]byte(tt.out))
			got := w.hint()
			if !strings.Contains(got, tt.want) || tt.not != "" && strings.Contains(got, tt.not) {
				t.Fatalf("hint %q, want it to contain %q (and not %q)", got, tt.want, tt.not)
			}
		})
	}
}
