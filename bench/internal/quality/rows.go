// Package quality is gorento-bench's side-by-side of video quality on
// impaired links: issue 15's conditions (e2e/quality_test.go's rows, its
// relays and htb limits from internal/testnet/impair) run in Chromium
// against gorento's room demo (KurentoRoom.js) and against livekit-server
// with livekit-client, alternating the servers row by row in one session.
package quality

import "github.com/gorento/gorento/internal/testnet/impair"

// Link is one page's network: its relay's impairment and htb rates (bit/s, 0: none).
type Link struct {
	Up, Down         impair.Profile
	UpRate, DownRate uint64
}

// Step changes a page's link rate after the first window.
type Step struct {
	Page string // "A" or "B"
	Dir  impair.Direction
	Rate uint64
}

// Row is one condition: the publisher A's and viewer B's links, and for one
// row a viewer C on a clean direct link.
type Row struct {
	Key   string // for -rows
	Name  string
	A, B  Link
	WithC bool
	Step  *Step
	Use   string // whose limited link's use is reported: "A" (uplink) or "B" (downlink)
}

const kbit = 1000

// Rows are e2e/quality_test.go's rows of the short mode (issue 15's table).
func Rows() []Row {
	l10, l3 := impair.Profile{Loss: 0.10}, impair.Profile{Loss: 0.03}
	return []Row{
		{Key: "clean", Name: "clean"},
		{Key: "loss10", Name: "loss 10 % (A's link)", A: Link{Up: l10, Down: l10}},
		{Key: "loss3", Name: "loss 3 % (A's link)", A: Link{Up: l3, Down: l3}},
		{Key: "800k", Name: "800 kbit (A's uplink)", A: Link{UpRate: 800 * kbit}, Use: "A"},
		{Key: "drop600", Name: "clean → 600 kbit (A's uplink)", Step: &Step{"A", impair.Up, 600 * kbit}, Use: "A"},
		{Key: "onlyB", Name: "only B's downlink 600 kbit", B: Link{DownRate: 600 * kbit}, WithC: true, Use: "B"},
	}
}
