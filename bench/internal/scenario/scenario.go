// Package scenario runs the benchmark's scenarios against one server:
// fan-out (1 publisher → N subscribers), echo (N peers each looped back by
// the server), session setup (sequential and concurrent), churn, the
// subscriber ramp, and the direct Pion→Pion latency baseline.
package scenario

import (
	"context"
	"math"
	"os"
	"sync"
	"time"

	"github.com/gorento/gorento/bench/internal/media"
	"github.com/gorento/gorento/bench/internal/peer"
	"github.com/gorento/gorento/bench/internal/proc"
	"github.com/gorento/gorento/bench/internal/stats"
	"github.com/gorento/gorento/bench/internal/target"
)

// Env is what every scenario shares within one invocation.
type Env struct {
	Media       *media.Media
	Epoch       time.Time
	Dir         string // scratch directory
	ServerCPU   string // taskset list for servers ("" = unpinned)
	SampleEvery int    // cheap-subscriber sampling (1 = decrypt everything)
	Warmup      time.Duration
	Drain       time.Duration
	// SetupBudget bounds the time to connect one load's peers: a server
	// that takes longer fails the step (default 90 s).
	SetupBudget time.Duration
	Logf        func(format string, a ...any)
}

// Load is one media measurement (fan-out or echo) of one server.
type Load struct {
	Scenario string  `json:"scenario"` // "fanout" or "echo"
	Server   string  `json:"server"`
	N        int     `json:"n"`
	SRTP     string  `json:"srtp"`
	Window   float64 `json:"windowSec"`

	Expected int64   `json:"expectedPackets"`
	Received int64   `json:"receivedPackets"`
	Loss     float64 `json:"loss"` // fraction

	ServerCPU    float64 `json:"serverCpuSec"`
	CPUPerPktUs  float64 `json:"cpuPerPacketUs"` // server CPU ÷ packets received in the window
	ServerCore   float64 `json:"serverCorePct"`
	GenCPUPerPkt float64 `json:"generatorCpuPerPacketUs"` // whole generator process (senders included) ÷ packets received
	// RecvCPUPerPkt is the cheap subscribers' receive cost: CPU of the
	// socket reader threads ÷ packets received.
	RecvCPUPerPkt float64 `json:"receiveCpuPerPacketUs"`
	GenCore       float64 `json:"generatorCorePct"`
	PktPerRead    float64 `json:"packetsPerRecvmmsg"`

	LatP50Ms float64 `json:"latencyP50Ms"` // raw one-way (baseline not subtracted)
	LatP99Ms float64 `json:"latencyP99Ms"`
	LatN     int     `json:"latencySamples"`

	RSSPerEndpointKB float64 `json:"rssPerEndpointKB"` // fresh process, idle endpoints
	FDsPerEndpoint   float64 `json:"fdsPerEndpoint"`   // open descriptors, same measurement as RSS
	Endpoints        int     `json:"endpoints"`
	SetupP50Ms       float64 `json:"setupP50Ms"` // per-peer negotiation to connected
	SetupMaxMs       float64 `json:"setupMaxMs"`
	Unmapped         int     `json:"unmappedStreams,omitempty"`
	Err              string  `json:"error,omitempty"`
}

func (e *Env) logf(format string, a ...any) {
	if e.Logf != nil {
		e.Logf(format, a...)
	}
}

// peer creates a generator peer on sock (nil: a socket of its own).
func (e *Env) peer(role peer.Role, srtp string, stream uint16, sock *peer.Socket) (*peer.Peer, error) {
	return peer.New(peer.Config{Role: role, SRTP: srtp, SampleEvery: e.SampleEvery, Epoch: e.Epoch, StreamBase: stream, Socket: sock})
}

// socket opens a socket shared by a scenario's receiving peers.
func (e *Env) socket() (*peer.Socket, error) { return peer.NewSocket(e.SampleEvery, e.Epoch) }

// sockets returns the distinct sockets of the peers.
func sockets(ps []*peer.Peer) []*peer.Socket {
	seen := map[*peer.Socket]bool{}
	var out []*peer.Socket
	for _, p := range ps {
		if s := p.Socket(); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func (e *Env) start(ctx context.Context, s target.Server, srtp, tag string) error {
	dir, err := os.MkdirTemp(e.Dir, s.Name()+"-"+tag+"-")
	if err != nil {
		return err
	}
	return s.Start(ctx, target.Options{SRTP: srtp, Dir: dir, CPU: e.ServerCPU})
}

// measure runs the sender over the window and fills the media figures of r.
// ids[i] are the stream ids receivers[i] should get.
func (e *Env) measure(s target.Server, snd *peer.Sender, receivers []*peer.Peer, ids [][]uint16, window time.Duration, r *Load) {
	time.Sleep(e.Warmup)
	self := os.Getpid()
	from := snd.Snapshot()
	fromNs := time.Since(e.Epoch).Nanoseconds()
	c0, err0 := proc.CPU(s.PID())
	g0, _ := proc.CPU(self)
	socks := sockets(receivers)
	var reads0, rtp0 int64
	var rcpu0 time.Duration
	for _, so := range socks {
		a, b, c := so.Stats()
		rtp0, reads0, rcpu0 = rtp0+a, reads0+b, rcpu0+c
	}
	t0 := time.Now()
	time.Sleep(window)
	c1, err1 := proc.CPU(s.PID())
	g1, _ := proc.CPU(self)
	el := time.Since(t0)
	to := snd.Snapshot()
	toNs := time.Since(e.Epoch).Nanoseconds()
	var reads1, rtp1 int64
	var rcpu1 time.Duration
	for _, so := range socks {
		a, b, c := so.Stats()
		rtp1, reads1, rcpu1 = rtp1+a, reads1+b, rcpu1+c
	}
	time.Sleep(e.Drain)
	w := peer.MakeWindow(from, to, fromNs, toNs)
	for _, id := range ids {
		r.Expected += expectedFor(from, to, id)
	}
	var lat []int64
	for _, so := range socks {
		res := so.Counter.Count(w)
		r.Received += res.Received
		r.Unmapped += res.Unmapped
		lat = append(lat, res.Latencies...)
	}
	r.Window = el.Seconds()
	r.LatN = len(lat)
	r.LatP50Ms = stats.Percentile(lat, 50) / 1e6
	r.LatP99Ms = stats.Percentile(lat, 99) / 1e6
	if r.Expected > 0 {
		r.Loss = 1 - float64(r.Received)/float64(r.Expected)
	}
	if err0 == nil && err1 == nil {
		r.ServerCPU = (c1 - c0).Seconds()
		r.ServerCore = 100 * r.ServerCPU / el.Seconds()
		if r.Received > 0 {
			r.CPUPerPktUs = r.ServerCPU * 1e6 / float64(r.Received)
		}
	} else {
		r.CPUPerPktUs = math.NaN()
	}
	gen := (g1 - g0).Seconds()
	r.GenCore = 100 * gen / el.Seconds()
	if rtp := rtp1 - rtp0; rtp > 0 {
		r.GenCPUPerPkt = gen * 1e6 / float64(rtp)
		r.RecvCPUPerPkt = (rcpu1 - rcpu0).Seconds() * 1e6 / float64(rtp)
		if reads1 > reads0 {
			r.PktPerRead = float64(rtp) / float64(reads1-reads0)
		}
	}
}

// expected sums, over receivers, the window's packets of the streams each gets.
func expectedFor(from, to map[uint16]uint32, ids []uint16) int64 {
	var n int64
	for _, id := range ids {
		n += int64(to[id] - from[id])
	}
	return n
}

func closeAll(ps []*peer.Peer) {
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func(p *peer.Peer) { defer wg.Done(); p.Close() }(p)
	}
	wg.Wait()
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// nanos converts durations to nanoseconds for stats.Percentile.
func nanos(ds []time.Duration) []int64 {
	out := make([]int64, len(ds))
	for i, d := range ds {
		out[i] = int64(d)
	}
	return out
}
