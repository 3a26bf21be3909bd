//go:build race

package udpx

const raceEnabled = true
