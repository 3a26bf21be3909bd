// Command impair runs one impaired TURN relay (and, inside a loopback-only
// network namespace, an htb rate limit on its port) until interrupted, so a
// bad network can be reproduced by hand. See docs/impaired-links.md.
//
//	go run ./internal/testnet/impair/cmd/impair -loss 0.1 -delay 40ms -down-rate 600kbit
//
// It prints the RTCIceServer to give the page ({iceServers: [it],
// iceTransportPolicy: "relay"}) and, every few seconds, what crossed the relay.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gorento/gorento/internal/testnet/impair"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "impair:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("impair", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:3479", "relay address (loopback only)")
	user := fs.String("user", "impair", "TURN user name")
	pass := fs.String("pass", "impair", "TURN password")
	var up, down impair.Profile
	profileFlags(fs, "", &up, &down)
	profileFlags(fs, "up-", &up, nil)
	profileFlags(fs, "down-", &down, nil)
	upRate := fs.String("up-rate", "", "rate limit of what the client sends (e.g. 800kbit, 2mbit; needs scripts/netns-run.sh)")
	downRate := fs.String("down-rate", "", "rate limit of what the client receives")
	every := fs.Duration("stats", 5*time.Second, "print relay counters this often (0: never)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, err := impair.StartRelay(impair.RelayOptions{Addr: *addr, Up: up, Down: down, User: *user, Pass: *pass,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		return err
	}
	defer r.Close()
	if *upRate != "" || *downRate != "" {
		s, err := impair.NewShaper(impair.ShaperOptions{})
		if err != nil {
			return err
		}
		defer s.Close()
		for _, l := range []struct {
			rate string
			dir  impair.Direction
		}{{*upRate, impair.Up}, {*downRate, impair.Down}} {
			if l.rate == "" {
				continue
			}
			bps, err := ParseRate(l.rate)
			if err != nil {
				return err
			}
			if err := s.Limit(r.Port(), l.dir, bps, 0); err != nil {
				return err
			}
		}
	}
	ice, _ := json.Marshal(r.ICEServer())
	fmt.Printf("relay %s  up: %s  down: %s  rates: up %s down %s\n", r.Addr(), up.String(), down.String(), or(*upRate, "-"), or(*downRate, "-"))
	fmt.Printf("iceServers: [%s], iceTransportPolicy: \"relay\"\n", ice)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var tick <-chan time.Time
	if *every > 0 {
		t := time.NewTicker(*every)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
			st, _ := json.Marshal(r.Stats())
			fmt.Println(string(st))
		}
	}
}

// profileFlags registers -<prefix>loss, -<prefix>delay, -<prefix>jitter and
// -<prefix>reorder; without a prefix they set both profiles.
func profileFlags(fs *flag.FlagSet, prefix string, p, also *impair.Profile) {
	both := func(f func(*impair.Profile)) {
		f(p)
		if also != nil {
			f(also)
		}
	}
	which := "both directions"
	if prefix != "" {
		which = strings.TrimSuffix(prefix, "-") + " only"
	}
	fs.Func(prefix+"loss", "packet loss 0–1 ("+which+")", func(s string) error {
		v, err := strconv.ParseFloat(s, 64)
		both(func(p *impair.Profile) { p.Loss = v })
		return err
	})
	fs.Func(prefix+"delay", "one-way delay, e.g. 40ms ("+which+")", func(s string) error {
		v, err := time.ParseDuration(s)
		both(func(p *impair.Profile) { p.Delay = v })
		return err
	})
	fs.Func(prefix+"jitter", "delay variation ± ("+which+")", func(s string) error {
		v, err := time.ParseDuration(s)
		both(func(p *impair.Profile) { p.Jitter = v })
		return err
	})
	fs.BoolFunc(prefix+"reorder", "let jitter reorder packets ("+which+")", func(string) error {
		both(func(p *impair.Profile) { p.Reorder = true })
		return nil
	})
}

// ParseRate reads "600kbit", "2.5mbit", "800000" (bit/s).
func ParseRate(s string) (uint64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range []struct {
		suffix string
		m      float64
	}{{"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.m
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("rate %q: want e.g. 600kbit or 2mbit", s)
	}
	return uint64(v * mult), nil
}

func or(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}
