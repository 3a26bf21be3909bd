// Command testpeer plays a browser for tests written in other languages
// (the kurento-client Node tests): an in-process Pion peer on loopback,
// driven by JSON lines on stdin, reporting JSON lines on stdout.
//
// Out: {"offer": sdp}, {"candidate": {candidate, sdpMid, sdpMLineIndex}} per
// local candidate, {"gatheringDone": true}, {"connected": true},
// {"report": {...}} on request, {"error": "..."}.
// In: {"answer": sdp}, {"candidate": {...}}, {"start": true} (send media),
// {"startFile": "/path/f.webm"} (send that file's VP8+Opus in real time,
// looped), {"pli": true}, {"report": true}, {"close": true}.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest/rtpmedia"
	"github.com/gorento/gorento/internal/testpeer"
)

type candidate struct {
	Candidate     string `json:"candidate"`
	SdpMid        string `json:"sdpMid"`
	SdpMLineIndex int    `json:"sdpMLineIndex"`
}

type command struct {
	Answer    string     `json:"answer"`
	Candidate *candidate `json:"candidate"`
	Start     bool       `json:"start"`
	StartFile string     `json:"startFile"`
	PLI       bool       `json:"pli"`
	Report    bool       `json:"report"`
	Close     bool       `json:"close"`
}

var outMu sync.Mutex

func say(v any) {
	b, _ := json.Marshal(v)
	outMu.Lock()
	fmt.Println(string(b))
	outMu.Unlock()
}

func main() {
	p, err := testpeer.New(testpeer.Options{SendAudio: true, SendVideo: true, RecvAudio: true, RecvVideo: true, PeerID: 4242})
	if err != nil {
		say(map[string]string{"error": err.Error()})
		os.Exit(1)
	}
	defer p.Close()
	offer, err := p.Offer()
	if err != nil {
		say(map[string]string{"error": err.Error()})
		os.Exit(1)
	}
	say(map[string]string{"offer": offer})
	go func() {
		cands, err := p.WaitCandidates(10 * time.Second)
		for _, c := range cands {
			say(map[string]candidate{"candidate": {Candidate: c.Candidate, SdpMid: *c.SDPMid, SdpMLineIndex: int(*c.SDPMLineIndex)}})
		}
		if err != nil {
			say(map[string]string{"error": err.Error()})
			return
		}
		say(map[string]bool{"gatheringDone": true})
	}()
	go func() {
		if p.WaitConnected(60*time.Second) == nil {
			say(map[string]bool{"connected": true})
		}
	}()
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	for in.Scan() {
		var c command
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			say(map[string]string{"error": "bad command: " + err.Error()})
			continue
		}
		switch {
		case c.Answer != "":
			if err := p.SetAnswer(c.Answer); err != nil {
				say(map[string]string{"error": "answer: " + err.Error()})
			}
		case c.Candidate != nil:
			if err := p.AddRemoteCandidate(c.Candidate.Candidate, c.Candidate.SdpMid, c.Candidate.SdpMLineIndex); err != nil {
				say(map[string]string{"error": "candidate: " + err.Error()})
			}
		case c.Start:
			p.StartMedia()
		case c.StartFile != "":
			pkts, err := rtpmedia.Read(c.StartFile, rtpmedia.Options{})
			if err != nil {
				say(map[string]string{"error": "startFile: " + err.Error()})
				continue
			}
			timed := make([]testpeer.TimedPacket, len(pkts))
			for i, pk := range pkts {
				timed[i] = testpeer.TimedPacket{Video: pk.Kind == media.Video, At: pk.At, Packet: pk.RTP}
			}
			p.Play(timed, true)
		case c.PLI:
			if err := p.SendPLI(); err != nil {
				say(map[string]string{"error": "pli: " + err.Error()})
			}
		case c.Report:
			a, v := p.Sent()
			ra, rv := p.Received(webrtc.RTPCodecTypeAudio), p.Received(webrtc.RTPCodecTypeVideo)
			say(map[string]any{"report": map[string]any{
				"sent":             map[string]uint32{"audio": a, "video": v},
				"received":         map[string]any{"audio": summary(ra), "video": summary(rv)},
				"keyframeRequests": p.KeyframeRequests(),
			}})
		case c.Close:
			return
		}
	}
}

func summary(r testpeer.Received) map[string]any {
	return map[string]any{"packets": r.Packets, "bytes": r.Bytes, "marked": r.Marked, "own": r.Senders[4242], "ssrc": r.SSRC, "distinct": len(r.Counters)}
}
