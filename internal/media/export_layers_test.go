package media

// SetHistoryForTest fills b with pkt as a source pad does: kept in ring r
// under the next extended sequence number.
func (b *PacketBuf) SetHistoryForTest(r *SourceRing, pkt *Packet) {
	if !b.copyFrom(pkt) {
		panic("packet too large")
	}
	b.setHistory(r, r.Extend(pkt.Header.SequenceNumber))
	b.Publish()
	r.put(b, 1)
}
