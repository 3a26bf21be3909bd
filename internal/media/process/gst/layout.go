package gst

import (
	"math"
	"sort"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

// placement is where a video input is drawn on a mixer's output picture.
type placement struct {
	X, Y, Width, Height int
	Z                   int
}

// gridLayout places n pictures as KMS's Composite does: ceil(√n) columns,
// as many rows as needed, equal cells filled in port order, left to right
// and top to bottom.
func gridLayout(ports []int, width, height int) map[int]placement {
	n := len(ports)
	out := make(map[int]placement, n)
	if n == 0 {
		return out
	}
	sorted := append([]int(nil), ports...)
	sort.Ints(sorted)
	cols := int(math.Ceil(math.Sqrt(float64(n))))
	rows := (n + cols - 1) / cols
	w, h := width/cols, height/rows
	for i, p := range sorted {
		out[p] = placement{X: (i % cols) * w, Y: (i / cols) * h, Width: w, Height: h, Z: 1}
	}
	return out
}

// alphaLayout places pictures as KMS's AlphaBlending does: the master
// fills the output at its z-order, a configured port takes its relative
// position and size, any other fills the output at z-order 1.
func alphaLayout(ports []int, l ipc.Layout, width, height int) map[int]placement {
	out := make(map[int]placement, len(ports))
	conf := map[int]ipc.PortLayout{}
	for _, p := range l.Ports {
		conf[p.Port] = p
	}
	for _, p := range ports {
		switch c, ok := conf[p]; {
		case p == l.Master:
			out[p] = placement{Width: width, Height: height, Z: l.ZMaster}
		case ok:
			out[p] = placement{
				X: int(c.RelativeX * float64(width)), Y: int(c.RelativeY * float64(height)),
				Width: int(c.RelativeWidth * float64(width)), Height: int(c.RelativeHeight * float64(height)), Z: c.ZOrder,
			}
		default:
			out[p] = placement{Width: width, Height: height, Z: 1}
		}
	}
	return out
}
