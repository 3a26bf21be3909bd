package udpx

import (
	"os"
	"testing"

	"github.com/gorento/gorento/internal/testutil"
)

// drain reads and drops datagrams until the socket is closed.
func (r *receiver) drain() {
	buf := make([]byte, 2048)
	for {
		if _, _, err := r.uc.ReadFromUDPAddrPort(buf); err != nil {
			return
		}
	}
}

// BenchmarkBatch sends 1200-byte datagrams from one socket to 8 receivers on
// 127.0.0.1 (run inside scripts/netns-run.sh); one op is one datagram, so
// ns/op is the sender's cost per datagram, including the kernel's loopback
// delivery up to the receiving socket (the receivers do not read: that is
// their cost, not the sender's). cpu-ns/op is the sending thread's CPU time
// per datagram (user and system; what other processes take is not in it);
// syscalls/datagram counts send calls. UDPX_BENCH_DRAIN=1 makes each
// receiver read (its wake-ups then land on the sender too).
//
//	writeto        one sendto per datagram (today's Pion path), destinations interleaved
//	sendmmsg       Batch, 64 per sendmmsg, destinations interleaved (a fan-out of one packet)
//	sendmmsg-runs  Batch without GSO, runs of 8 datagrams per destination (a frame per viewer)
//	gso-runs       Batch with GSO, the same runs: one GSO message per run
//
//	scripts/netns-run.sh go test -run '^$' -bench Batch -benchmem -count 5 ./internal/udpx | benchstat -
func BenchmarkBatch(b *testing.B) {
	drain := os.Getenv("UDPX_BENCH_DRAIN") != ""
	const size, dests, run = 1200, 8, 8
	cases := []struct {
		name       string
		batch, gso bool
		run        int
	}{
		{"writeto", false, false, 1},
		{"sendmmsg", true, false, 1},
		{"sendmmsg-runs", true, false, run},
		{"gso-runs", true, true, run},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			c := listen(b, "udp4", "127.0.0.1:0", Options{NoGSO: !bc.gso})
			if bc.gso && !c.GSO() {
				b.Skip("no UDP_SEGMENT on this kernel")
			}
			ds := make([]*Dest, dests)
			for i := range ds {
				r := newReceiver(b, "udp4", "127.0.0.1:0")
				ds[i] = c.Dest(r.ap)
				if drain {
					go r.drain()
				}
			}
			payload := make([]byte, size)
			batch := NewBatch(BatchOptions{OnError: func(d *Dest, n int, err error) { b.Fatal(err) }})
			before := c.Stats()
			b.ReportAllocs()
			b.SetBytes(size)
			i := 0
			stop := testutil.CPUPerOp(b)
			for b.Loop() {
				d := ds[(i/bc.run)%dests]
				i++
				if !bc.batch {
					if _, err := c.WriteToAddrPort(payload, d.ap); err != nil {
						b.Fatal(err)
					}
					continue
				}
				room, err := batch.Reserve(d, size)
				if err != nil {
					b.Fatal(err)
				}
				copy(room, payload)
				batch.Commit(size)
				if batch.Len() == 64 {
					if err := batch.Flush(); err != nil {
						b.Fatal(err)
					}
				}
			}
			if err := batch.Flush(); err != nil {
				b.Fatal(err)
			}
			stop()
			after := c.Stats()
			calls := after.WriteCalls + after.BatchCalls - before.WriteCalls - before.BatchCalls
			b.ReportMetric(float64(calls)/float64(i), "syscalls/datagram")
		})
	}
}

// BenchmarkRecv reads 1200-byte datagrams that arrived in bursts of 32
// (a keyframe, or many publishers at once), one op per datagram: with
// recvmmsg (batch) against one recvfrom per datagram (single); the
// reader's cost, system calls included. syscalls/datagram counts the
// receive calls.
//
//	scripts/netns-run.sh go test -run '^$' -bench Recv -benchmem -count 5 ./internal/udpx
func BenchmarkRecv(b *testing.B) {
	const size, burst = 1200, 32
	for _, tc := range []struct {
		name string
		o    Options
	}{{"batch", Options{ReceiveBuffer: 8 << 20}}, {"single", Options{ReceiveBuffer: 8 << 20, NoRecvBatch: true}}} {
		b.Run(tc.name, func(b *testing.B) {
			rx, err := Listen("udp4", "127.0.0.1:0", tc.o)
			if err != nil {
				b.Fatal(err)
			}
			defer rx.Close()
			tx, err := Listen("udp4", "127.0.0.1:0", Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer tx.Close()
			pkt, buf := make([]byte, size), make([]byte, 2048)
			dst := rx.LocalAddrPort()
			b.SetBytes(size)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += burst {
				b.StopTimer()
				n := min(burst, b.N-i)
				for range n {
					if _, err := tx.WriteToAddrPort(pkt, dst); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				for range n {
					if _, _, err := rx.ReadFromAddrPort(buf); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			st := rx.Stats()
			b.ReportMetric(float64(st.ReadCalls)/float64(max(st.DatagramsRead, 1)), "syscalls/datagram")
		})
	}
}
