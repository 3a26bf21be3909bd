package hub

import (
	"testing"

	"github.com/gorento/gorento/internal/media"
)

// listedKind records, when a port is added, the worker input of each
// media type of every port the hub lists: what a decoding hub's control
// loop reads from then on.
type listedKind struct {
	kind
	h    *Hub
	seen []int
}

func (k *listedKind) added(*Port) error {
	for _, q := range k.h.Ports() {
		k.seen = append(k.seen, q.mix.in[media.Audio].index, q.mix.in[media.Video].index)
	}
	return nil
}

func (k *listedKind) removed(*Port) {}

func (k *listedKind) close() {}

// TestPortListedWithoutInputs: a port is listed before its hub's added
// ran, and a decoding hub's control loop may reconcile it then; its
// inputs must already be none. With the zero index it dropped input 0,
// another port's (a data race with attach under go test -race, seen in
// the kms tests' TestHubErrors).
func TestPortListedWithoutInputs(t *testing.T) {
	p := media.NewPipeline()
	t.Cleanup(p.Release)
	k := &listedKind{}
	h := newHub(p, k)
	k.h = h
	if _, err := NewPort(h, nil); err != nil {
		t.Fatal(err)
	}
	if len(k.seen) != 2 || k.seen[0] != -1 || k.seen[1] != -1 {
		t.Fatalf("inputs of the listed port %v, want none (-1)", k.seen)
	}
}
