package mp4_test

import (
	"os"
	"testing"

	"github.com/gorento/gorento/internal/media/container/webm"
)

func openWebM(t testing.TB, path string) *webm.Demuxer {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	d, err := webm.NewDemuxer(f)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
