//go:build race

package rtpep

const raceEnabled = true
