package layout

import (
	"testing"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

func TestGridLayout(t *testing.T) {
	tests := []struct {
		n    int
		want map[int]Placement // by port
	}{
		{1, map[int]Placement{0: {0, 0, 800, 600, 1}}},
		{2, map[int]Placement{0: {0, 0, 400, 600, 1}, 1: {400, 0, 400, 600, 1}}},
		{3, map[int]Placement{0: {0, 0, 400, 300, 1}, 1: {400, 0, 400, 300, 1}, 2: {0, 300, 400, 300, 1}}},
		{4, map[int]Placement{0: {0, 0, 400, 300, 1}, 3: {400, 300, 400, 300, 1}}},
		{5, map[int]Placement{0: {0, 0, 266, 300, 1}, 2: {532, 0, 266, 300, 1}, 4: {266, 300, 266, 300, 1}}},
		{9, map[int]Placement{4: {266, 200, 266, 200, 1}, 8: {532, 400, 266, 200, 1}}},
	}
	for _, tt := range tests {
		ports := make([]int, tt.n)
		for i := range ports {
			ports[tt.n-1-i] = i // order of arrival does not matter: port order does
		}
		got := Grid(ports, 800, 600)
		if len(got) != tt.n {
			t.Fatalf("%d inputs: %d Placements", tt.n, len(got))
		}
		for p, want := range tt.want {
			if got[p] != want {
				t.Errorf("%d inputs, port %d: %+v, want %+v", tt.n, p, got[p], want)
			}
		}
	}
	if got := Grid(nil, 800, 600); len(got) != 0 {
		t.Errorf("no inputs: %v", got)
	}
}

func TestAlphaLayout(t *testing.T) {
	l := ipc.Layout{Master: 1, ZMaster: 2, Ports: []ipc.PortLayout{{Port: 2, RelativeX: 0.5, RelativeY: 0.25, RelativeWidth: 0.25, RelativeHeight: 0.5, ZOrder: 5}}}
	got := Alpha([]int{1, 2, 3}, l, 640, 480)
	want := map[int]Placement{1: {0, 0, 640, 480, 2}, 2: {320, 120, 160, 240, 5}, 3: {0, 0, 640, 480, 1}}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("port %d: %+v, want %+v", p, got[p], w)
		}
	}
}
