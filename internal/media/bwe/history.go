package bwe

// ProbeID tags the packets of one probe cluster; NoProbe marks every other packet.
type ProbeID int16

// NoProbe is the ProbeID of packets that are not part of a probe cluster.
const NoProbe ProbeID = 0

// Per-record feedback state: a packet is reported at most once as received;
// a packet first reported lost and later received is corrected.
const (
	recordEmpty uint8 = iota
	recordSent
	recordLost
	recordReceived
)

// sendRecord is what the history keeps of one sent packet: 16 bytes.
type sendRecord struct {
	sent  int64 // ns, the owner's clock
	probe ProbeID
	size  uint16
	seq   uint16
	state uint8
}

// sendHistory is a ring indexed by transport-wide sequence number. A slot is
// reused every len(records) packets; a late feedback for an overwritten
// packet finds another sequence number there and is ignored.
type sendHistory struct {
	records []sendRecord
	mask    uint16
}

func newSendHistory(size int) sendHistory {
	return sendHistory{records: make([]sendRecord, size), mask: uint16(size - 1)}
}

func (h *sendHistory) put(seq uint16, size int, at int64, probe ProbeID) {
	if size > 0xffff {
		size = 0xffff
	}
	h.records[seq&h.mask] = sendRecord{sent: at, probe: probe, size: uint16(size), seq: seq, state: recordSent}
}

// get returns the record of seq, or nil if it was never sent or was overwritten.
func (h *sendHistory) get(seq uint16) *sendRecord {
	r := &h.records[seq&h.mask]
	if r.state == recordEmpty || r.seq != seq {
		return nil
	}
	return r
}
