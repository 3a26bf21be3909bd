package quality

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gorento/gorento/internal/testnet/impair"
)

// Timing of one row: e2e/quality_test.go's modes.
type Timing struct {
	Warm, Window, After time.Duration // After: step row, measured from 10 s after the drop
}

// Modes are e2e/quality_test.go's.
var Modes = map[string]Timing{
	"short": {8 * time.Second, 10 * time.Second, 6 * time.Second},
	"full":  {20 * time.Second, 30 * time.Second, 20 * time.Second},
}

// Config is one quality run.
type Config struct {
	Env
	Root    string // repository root (js/e2e, bench/quality)
	Out     string
	Servers []string // "gorento", "livekit": alternated in this order, reversed every other repetition
	Rows    []string // keys of the rows to run (empty: all)
	Reps    int
	Timing  Timing
	Y4M     string
	Logf    func(string, ...any)
}

// Result is one row on one server.
type Result struct {
	Row, Server string
	Rep         int
	A           Publisher
	B, C        Viewer
	Before      Publisher // step row: A before the drop
	After10     Publisher // step row: A in the 10 s after the drop
	UseLimit    float64   // the limited link's rate, kbit/s
	Use         float64   // fraction of it used, from the sender's getStats bytes (RTP headers and payload)
	WireKbps    float64   // what the limited link carried in the window, as htb counts it (every header)
	WireUse     float64   // WireKbps's fraction of the link
	LoadStart   string
	LoadEnd     string
	Err         string `json:",omitempty"`
}

// Run measures every row on every server, alternating, and writes
// results.json and results.md into c.Out.
func Run(ctx context.Context, c Config) ([]Result, error) {
	var out []Result
	save := func() error {
		b, _ := json.MarshalIndent(out, "", " ")
		if err := os.WriteFile(filepath.Join(c.Out, "results.json"), b, 0o644); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(c.Out, "results.md"), []byte(Markdown(out, c)), 0o644)
	}
	for rep := 0; rep < c.Reps; rep++ {
		for _, row := range Rows() {
			if len(c.Rows) > 0 && !slices.Contains(c.Rows, row.Key) {
				continue
			}
			order := append([]string(nil), c.Servers...)
			if rep%2 == 1 {
				for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
					order[i], order[j] = order[j], order[i]
				}
			}
			for _, name := range order {
				if ctx.Err() != nil {
					return out, ctx.Err()
				}
				r, err := runRow(ctx, c, name, row, rep)
				if err != nil {
					r.Err = err.Error()
					c.Logf("%-8s %-30s rep %d: FAILED: %v", name, row.Name, rep+1, err)
				} else {
					c.Logf("%-8s %-30s rep %d: %s", name, row.Name, rep+1, summary(r))
				}
				out = append(out, r)
				if err := save(); err != nil {
					return out, err
				}
			}
		}
	}
	return out, nil
}

func summary(r Result) string {
	return fmt.Sprintf("B %.1f fps, freezes %.1f s (%.0f), %.0fp, %.0f kb/s; A %.0f kb/s %.0fp (%d layers, %.0f kb/s on frameless layers, est %.0f); C %.0fp; use %.0f %% (on the wire %.0f %%); load %s→%s",
		r.B.FPS, r.B.FreezeSeconds, r.B.Freezes, r.B.Height, r.B.Kbps, r.A.Kbps, r.A.Height, r.A.Layers, r.A.IdleKbps, r.A.EstimateKbps, r.C.Height, 100*r.Use, 100*r.WireUse, r.LoadStart, r.LoadEnd)
}

func relayOnly(r *impair.Relay) map[string]any {
	if r == nil {
		return map[string]any{"iceServers": []any{}} // a clean direct link, no STUN
	}
	return map[string]any{"iceServers": []impair.ICEServer{r.ICEServer()}, "iceTransportPolicy": "relay"}
}

// runRow runs one condition on a fresh server, fresh relays and a fresh browser.
func runRow(ctx context.Context, c Config, name string, row Row, rep int) (res Result, err error) {
	res = Result{Row: row.Name, Server: name, Rep: rep + 1}
	dir := filepath.Join(c.Out, "logs", fmt.Sprintf("%s-%d-%s", slug(row.Name), rep+1, name))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}
	var srv server
	switch name {
	case "gorento":
		srv, err = startGorento(c.Env, dir)
	case "livekit":
		srv, err = startLiveKit(c.Env, dir)
	default:
		err = fmt.Errorf("unknown server %q (gorento, livekit)", name)
	}
	if err != nil {
		return res, err
	}
	defer srv.stop()

	var shaper *impair.Shaper
	defer func() {
		if shaper != nil {
			if cerr := shaper.Close(); cerr != nil && err == nil {
				err = cerr
			}
		}
	}()
	shape := func(port int, d impair.Direction, rate uint64) error {
		if rate == 0 {
			return nil
		}
		if shaper == nil {
			s, err := impair.NewShaper(impair.ShaperOptions{})
			if err != nil {
				return err
			}
			shaper = s
		}
		return shaper.Limit(port, d, rate, 0)
	}
	relays := map[string]*impair.Relay{}
	for page, l := range map[string]Link{"A": row.A, "B": row.B} {
		r, err := impair.StartRelay(impair.RelayOptions{Up: l.Up, Down: l.Down})
		if err != nil {
			return res, err
		}
		defer r.Close()
		if err := errors.Join(shape(r.Port(), impair.Up, l.UpRate), shape(r.Port(), impair.Down, l.DownRate)); err != nil {
			return res, err
		}
		relays[page] = r
	}
	type pageSpec struct {
		Name   string         `json:"name"`
		URL    string         `json:"url"`
		Camera map[string]int `json:"camera"`
		ICE    map[string]any `json:"ice"`
	}
	names := []string{"A", "B"}
	if row.WithC {
		names = append(names, "C")
	}
	room := fmt.Sprintf("quality-%d", time.Now().UnixNano())
	var pages []pageSpec
	for _, n := range names {
		ice := relayOnly(relays[n])
		u, err := srv.pageURL(room, n, n == "A", ice)
		if err != nil {
			return res, err
		}
		p := pageSpec{Name: n, URL: u, ICE: ice}
		if n == "A" {
			p.Camera = map[string]int{"width": 1280, "height": 720, "frameRate": 30}
		}
		pages = append(pages, p)
	}
	spec, _ := json.Marshal(map[string]any{"server": name, "y4m": c.Y4M, "pages": pages})
	d, err := startDriver(ctx, c.Root, dir, string(spec))
	if err != nil {
		return res, err
	}
	defer d.close()
	var ready struct{ T int64 }
	if err := d.next(&ready); err != nil {
		return res, err
	}
	res.LoadStart = loadAvg()
	from := time.UnixMilli(ready.T).Add(c.Timing.Warm)
	to := from.Add(c.Timing.Window)
	var stepAt time.Time
	useFrom := from
	if row.Step != nil {
		stepAt = to
		sleep(ctx, time.Until(stepAt))
		if err := shape(relays[row.Step.Page].Port(), row.Step.Dir, row.Step.Rate); err != nil {
			return res, err
		}
		to = stepAt.Add(10*time.Second + c.Timing.After)
		useFrom = stepAt.Add(10 * time.Second)
	}
	if port, dir, ok := row.usePort(relays); ok && shaper != nil { // what the limited link carried in the window
		sleep(ctx, time.Until(useFrom))
		m, err := shaper.StartMeter(port, dir)
		sleep(ctx, time.Until(to))
		if err == nil {
			res.WireKbps, err = m.Kbps()
		}
		if err != nil {
			return res, fmt.Errorf("link use on the wire: %w", err)
		}
	}
	sleep(ctx, time.Until(to.Add(1500*time.Millisecond)))
	res.LoadEnd = loadAvg()
	if err := d.send("stop"); err != nil {
		return res, err
	}
	var done struct {
		Pages      map[string]Page
		PageErrors []string
	}
	if err := d.next(&done); err != nil {
		return res, err
	}
	// The driver's whole answer (every getStats field quality-page.js keeps), for looking into a figure.
	raw, _ := json.Marshal(map[string]any{"row": row.Name, "server": name, "ready": ready.T, "from": from.UnixMilli(), "to": to.UnixMilli(),
		"step": stepAt.UnixMilli(), "driver": json.RawMessage(d.lines.Bytes())})
	_ = os.WriteFile(filepath.Join(dir, "samples.json"), raw, 0o644)

	pa, pb := done.Pages["A"], done.Pages["B"]
	var okA, okB bool
	if row.Step == nil {
		res.A, okA = MeasurePublisher(pa, from, to)
		res.B, okB = MeasureViewer(pb, from, to)
	} else {
		res.Before, _ = MeasurePublisher(pa, from, stepAt)
		res.After10, _ = MeasurePublisher(pa, stepAt, stepAt.Add(10*time.Second))
		res.A, okA = MeasurePublisher(pa, stepAt.Add(10*time.Second), to)
		res.B, okB = MeasureViewer(pb, stepAt, to)
	}
	if row.WithC {
		res.C, _ = MeasureViewer(done.Pages["C"], from, to)
	}
	switch row.Use {
	case "A":
		res.UseLimit = float64(row.A.UpRate) / kbit
		if row.Step != nil {
			res.UseLimit = float64(row.Step.Rate) / kbit
		}
		res.Use = res.A.LinkKbps / res.UseLimit
	case "B":
		res.UseLimit = float64(row.B.DownRate) / kbit
		res.Use = res.B.LinkKbps / res.UseLimit
	}
	if res.UseLimit > 0 {
		res.WireUse = res.WireKbps / res.UseLimit
	}
	if !okA || !okB {
		return res, fmt.Errorf("no measurement (page errors: %v)", done.PageErrors)
	}
	if res.A.Candidate != "relay" {
		return res, fmt.Errorf("publisher A's connection uses a %q candidate, not its relay", res.A.Candidate)
	}
	for page, r := range relays {
		if st := r.Stats(); st.Up.Packets == 0 || st.Down.Packets == 0 {
			return res, fmt.Errorf("relay %s carried nothing: %+v", page, st)
		}
	}
	return res, nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// driver is bench/quality/drive.mjs: JSON lines out, "stop" in.
type driver struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines *bufio.Scanner
	done  chan struct{}
}

func startDriver(ctx context.Context, root, dir, spec string) (*driver, error) {
	cmd := exec.Command("node", filepath.Join(root, "bench", "quality", "drive.mjs"), spec)
	logf, err := os.Create(filepath.Join(dir, "driver.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logf
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	d := &driver{cmd: cmd, stdin: stdin, lines: bufio.NewScanner(stdout), done: make(chan struct{})}
	d.lines.Buffer(make([]byte, 1<<20), 64<<20)
	go func() {
		select {
		case <-ctx.Done():
			_ = cmd.Process.Kill()
		case <-d.done:
		}
		logf.Close()
	}()
	return d, nil
}

func (d *driver) next(v any) error {
	if !d.lines.Scan() {
		return fmt.Errorf("browser driver ended without output: %v", d.lines.Err())
	}
	var m struct {
		Phase      string
		Error      string
		PageErrors []string
	}
	if err := json.Unmarshal(d.lines.Bytes(), &m); err != nil {
		return fmt.Errorf("browser driver said %q", d.lines.Text())
	}
	if m.Phase == "error" {
		return fmt.Errorf("browser driver failed: %s (page errors: %s)", m.Error, strings.Join(m.PageErrors, "; "))
	}
	return json.Unmarshal(d.lines.Bytes(), v)
}

func (d *driver) send(line string) error {
	_, err := io.WriteString(d.stdin, line+"\n")
	return err
}

// close ends the driver: stdin closed (it closes the browser), killed after 20 s.
func (d *driver) close() {
	_ = d.stdin.Close()
	exited := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		_ = d.cmd.Process.Kill()
		<-exited
	}
	close(d.done)
}

// loadAvg is the 1-minute load average (the machine is shared).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// slug makes a directory name of a row name.
func slug(s string) string {
	var b []byte
	for _, c := range []byte(strings.ToLower(s)) {
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			b = append(b, c)
		case len(b) > 0 && b[len(b)-1] != '-':
			b = append(b, '-')
		}
	}
	return strings.Trim(string(b), "-")
}

// usePort is the relay port and direction whose limit the row's link use is
// measured on.
func (row Row) usePort(relays map[string]*impair.Relay) (int, impair.Direction, bool) {
	switch {
	case row.Use == "A" && row.Step != nil && relays[row.Step.Page] != nil:
		return relays[row.Step.Page].Port(), row.Step.Dir, true
	case row.Use == "A" && relays["A"] != nil:
		return relays["A"].Port(), impair.Up, true
	case row.Use == "B" && relays["B"] != nil:
		return relays["B"].Port(), impair.Down, true
	}
	return 0, 0, false
}
