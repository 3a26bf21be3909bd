//go:build race

package egress

// raceEnabled: the race detector makes sync.Pool drop items (x/net's
// sendmmsg temporaries), so allocation counts mean nothing under it.
const raceEnabled = true
