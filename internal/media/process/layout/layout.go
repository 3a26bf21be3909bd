// Package layout computes where a mixer draws its video inputs: KMS's
// Composite grid and AlphaBlending placement. Pure Go, shared by the worker
// (package gst) and by benchmarks that rebuild the same picture with
// gst-launch-1.0.
package layout

import (
	"math"
	"sort"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

// Placement is where a video input is drawn on a mixer's output picture.
type Placement struct {
	X, Y, Width, Height int
	Z                   int
}

// Grid places n pictures as KMS's Composite does: ceil(√n) columns,
// as many rows as needed, equal cells filled in port order, left to right
// and top to bottom.
func Grid(ports []int, width, height int) map[int]Placement {
	n := len(ports)
	out := make(map[int]Placement, n)
	if n == 0 {
		return out
	}
	sorted := append([]int(nil), ports...)
	sort.Ints(sorted)
	cols := int(math.Ceil(math.Sqrt(float64(n))))
	rows := (n + cols - 1) / cols
	w, h := width/cols, height/rows
	for i, p := range sorted {
		out[p] = Placement{X: (i % cols) * w, Y: (i / cols) * h, Width: w, Height: h, Z: 1}
	}
	return out
}

// Alpha places pictures as KMS's AlphaBlending does: the master
// fills the output at its z-order, a configured port takes its relative
// position and size, any other fills the output at z-order 1.
func Alpha(ports []int, l ipc.Layout, width, height int) map[int]Placement {
	out := make(map[int]Placement, len(ports))
	conf := map[int]ipc.PortLayout{}
	for _, p := range l.Ports {
		conf[p.Port] = p
	}
	for _, p := range ports {
		switch c, ok := conf[p]; {
		case p == l.Master:
			out[p] = Placement{Width: width, Height: height, Z: l.ZMaster}
		case ok:
			out[p] = Placement{
				X: int(c.RelativeX * float64(width)), Y: int(c.RelativeY * float64(height)),
				Width: int(c.RelativeWidth * float64(width)), Height: int(c.RelativeHeight * float64(height)), Z: c.ZOrder,
			}
		default:
			out[p] = Placement{Width: width, Height: height, Z: 1}
		}
	}
	return out
}
