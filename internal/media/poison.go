//go:build !debugbufs

package media

// poison does nothing in normal builds; with -tags debugbufs it overwrites
// a released buffer so that a use after release shows as corrupt media.
func poison(*PacketBuf) {}
