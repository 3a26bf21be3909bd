package srtpx

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
)

// keystream XORs p in place with the AES-CTR keystream whose first counter
// block is the 128-bit big-endian value hi<<64 | lo. SRTP counters keep the
// low 16 bits for the block number (RFC 3711 §4.1.1), so lo never carries
// into hi for a packet that fits in a datagram. It may overwrite up to 16
// bytes after p within p's capacity (gcmCTR): callers write what follows
// p (the authentication tag, the SRTCP index) after calling it.
type keystream interface {
	xorKeyStream(p []byte, hi, lo uint64)
}

// ctrBatch is the number of counter blocks encrypted per round.
const ctrBatch = 8

// blockCTR is AES-CTR built on the exported cipher.Block only: 8 counter
// blocks are written into a reused buffer and encrypted with 8 independent
// Encrypt calls (the CPU overlaps their AES rounds), then XORed into the
// packet: zero allocations. It is gcmCTR's fallback for a buffer without 16
// spare bytes. Why not cipher.NewCTR: a CTR stream cannot be re-seeked, so
// each packet (each with its own IV) would need a new one, and NewCTR
// allocates 512 bytes (it copies the expanded key). The benchmark in
// ctr_test.go compares the alternatives.
type blockCTR struct {
	block cipher.Block
	buf   [ctrBatch * 16]byte
}

func newBlockCTR(k *sessionKeys) keystream { return &blockCTR{block: k.block} }

func (c *blockCTR) xorKeyStream(p []byte, hi, lo uint64) {
	for len(p) > 0 {
		n := min((len(p)+15)/16, ctrBatch)
		for j := 0; j < n; j++ {
			binary.BigEndian.PutUint64(c.buf[j*16:], hi)
			binary.BigEndian.PutUint64(c.buf[j*16+8:], lo+uint64(j))
		}
		for j := 0; j < n; j++ {
			blk := c.buf[j*16 : j*16+16]
			c.block.Encrypt(blk, blk)
		}
		done := subtle.XORBytes(p, p, c.buf[:n*16])
		p = p[done:]
		lo += uint64(n)
	}
}
