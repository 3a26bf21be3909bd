//go:build debugbufs

package media

// poison overwrites a released buffer (build tag debugbufs): a consumer
// that reads it after its last Release sees 0xDD bytes, which tests that
// check payloads catch.
func poison(b *PacketBuf) {
	for i := range b.data {
		b.data[i] = 0xDD
	}
	b.pkt.Header.SequenceNumber, b.pkt.Header.Timestamp = 0xDDDD, 0xDDDDDDDD
}
