package report

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/gorento/gorento/bench/internal/scenario"
	"github.com/gorento/gorento/bench/internal/stats"
)

var palette = map[string]color.RGBA{
	"gorento":      {0xd6, 0x27, 0x28, 0xff},
	"gorento-base": {0x8c, 0x56, 0x4b, 0xff},
	"gorento-room": {0xff, 0x7f, 0x0e, 0xff},
	"pion-floor":   {0x2c, 0xa0, 0x2c, 0xff},
	"janus":        {0x1f, 0x77, 0xb4, 0xff},
	"livekit":      {0x94, 0x67, 0xbd, 0xff},
}

type series struct {
	name string
	x, y []float64
}

// fanoutSeries collects, per server, the median of a metric by N over the
// fan-out loads and ramp steps of the given SRTP profile.
func fanoutSeries(r *Results, srtp string, get func(scenario.Load) float64) []series {
	by := map[string]map[int][]float64{}
	add := func(l scenario.Load) {
		// overloaded steps (≥ 1 % loss) say nothing about cost per packet
		if l.Scenario != "fanout" || l.SRTP != srtp || l.Err != "" || l.Loss >= 0.01 {
			return
		}
		if by[l.Server] == nil {
			by[l.Server] = map[int][]float64{}
		}
		by[l.Server][l.N] = append(by[l.Server][l.N], get(l))
	}
	for _, l := range r.Loads {
		add(l)
	}
	for _, rp := range r.Ramps {
		for _, l := range rp.Steps {
			add(l)
		}
	}
	var out []series
	for _, name := range servers(r) {
		m := by[name]
		if len(m) == 0 {
			continue
		}
		var ns []int
		for n := range m {
			ns = append(ns, n)
		}
		sort.Ints(ns)
		s := series{name: name}
		for _, n := range ns {
			if v := stats.Summarize(m[n]).Median; !math.IsNaN(v) {
				s.x, s.y = append(s.x, float64(n)), append(s.y, v)
			}
		}
		out = append(out, s)
	}
	return out
}

func plots(dir string, r *Results) error {
	srtp := "gcm"
	if r.Plan["srtpSetupChurnRamp"] != "" {
		srtp = r.Plan["srtpSetupChurnRamp"]
	}
	cpu := fanoutSeries(r, srtp, func(l scenario.Load) float64 { return l.CPUPerPktUs })
	lat := fanoutSeries(r, srtp, func(l scenario.Load) float64 { return l.LatP99Ms })
	if err := plot(filepath.Join(dir, "cpu_per_packet.png"), "Server CPU per forwarded packet (us), fan-out, SRTP "+srtp+", loads with < 1% loss", "subscribers N", cpu); err != nil {
		return err
	}
	return plot(filepath.Join(dir, "latency_p99.png"), "One-way latency p99 (ms), fan-out, SRTP "+srtp+", loads with < 1% loss", "subscribers N", lat)
}

// plot draws a line chart with axes, ticks and a legend.
func plot(path, title, xlabel string, ss []series) error {
	const W, H = 900, 560
	const left, right, top, bottom = 70, 170, 40, 60
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	black := color.RGBA{0, 0, 0, 0xff}
	grey := color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	text(img, left, 22, title, black)
	xmin, xmax, ymax := math.Inf(1), math.Inf(-1), 0.0
	for _, s := range ss {
		for i := range s.x {
			xmin, xmax = math.Min(xmin, s.x[i]), math.Max(xmax, s.x[i])
			ymax = math.Max(ymax, s.y[i])
		}
	}
	if math.IsInf(xmin, 0) {
		text(img, left, H/2, "no data", black)
		return save(path, img)
	}
	if xmin == xmax {
		xmax++
	}
	xmin = 0 // the x axis starts at 0
	ymax = niceCeil(ymax * 1.1)
	pw, ph := float64(W-left-right), float64(H-top-bottom)
	px := func(x float64) int { return left + int((x-xmin)/(xmax-xmin)*pw) }
	py := func(y float64) int { return H - bottom - int(y/ymax*ph) }
	for i := 0; i <= 5; i++ {
		y := ymax * float64(i) / 5
		line(img, left, py(y), W-right, py(y), grey)
		text(img, 8, py(y)+4, trimNum(y), black)
		x := xmin + (xmax-xmin)*float64(i)/5
		line(img, px(x), H-bottom, px(x), H-bottom+5, black)
		text(img, px(x)-10, H-bottom+20, trimNum(x), black)
	}
	line(img, left, top, left, H-bottom, black)
	line(img, left, H-bottom, W-right, H-bottom, black)
	text(img, left+int(pw/2)-40, H-12, xlabel, black)
	for i, s := range ss {
		c, ok := palette[s.name]
		if !ok {
			c = color.RGBA{0x55, 0x55, 0x55, 0xff}
		}
		for j := range s.x {
			x, y := px(s.x[j]), py(s.y[j])
			for dx := -3; dx <= 3; dx++ {
				for dy := -3; dy <= 3; dy++ {
					img.Set(x+dx, y+dy, c)
				}
			}
			if j > 0 {
				thick(img, px(s.x[j-1]), py(s.y[j-1]), x, y, c)
			}
		}
		ly := top + 20 + 22*i
		thick(img, W-right+15, ly-4, W-right+40, ly-4, c)
		text(img, W-right+46, ly, s.name, black)
	}
	return save(path, img)
}

func save(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func text(img draw.Image, x, y int, s string, c color.Color) {
	d := &font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func line(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	dx, dy := math.Abs(float64(x1-x0)), math.Abs(float64(y1-y0))
	steps := int(math.Max(dx, dy))
	if steps == 0 {
		img.Set(x0, y0, c)
		return
	}
	for i := 0; i <= steps; i++ {
		t := float64(i) / float64(steps)
		img.Set(x0+int(math.Round(t*float64(x1-x0))), y0+int(math.Round(t*float64(y1-y0))), c)
	}
}

func thick(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	for o := -1; o <= 1; o++ {
		line(img, x0, y0+o, x1, y1+o, c)
		line(img, x0+o, y0, x1+o, y1, c)
	}
}

func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func trimNum(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
