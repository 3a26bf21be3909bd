package srtpx

import (
	"crypto/cipher"
	"encoding/binary"
	"sync"
)

// gcmCTR is AES-CTR through AES-GCM's Seal, the standard library's fastest
// AES path reachable with exported API only (its assembly pipelines 8
// blocks; cipher.Block.Encrypt does one at a time).
//
// GCM encrypts with CTR mode starting at inc32(J0), and with a 16-byte
// nonce J0 = GHASH_H(nonce ‖ 0⁶⁴ ‖ [128]₆₄) = nonce·H² ⊕ L·H (NIST SP
// 800-38D §7.1, L the length block): linear in the nonce over GF(2¹²⁸). So
// for the counter block C an SRTP packet needs, the nonce (C−1 ⊕ L·H)·H⁻²
// makes Seal's keystream the SRTP one. Seal also computes a tag over the
// ciphertext (wasted, ~0.1 µs per 1200 bytes) and writes it after the
// ciphertext: it runs in place when the buffer has 16 spare bytes, and
// blockCTR takes over when it has not. Correct by construction and checked
// against cipher.NewCTR (ctr_test.go), the RFC 3711 vectors and pion/srtp.
//
// Why not the standard library's random-access CTR (XORKeyStreamAt of
// crypto/internal/fips140/aes.CTR, ~0.3 µs faster per packet): it is
// reachable only by reflection into crypto/cipher's private wrapper, which
// a Go release may break.
type gcmCTR struct {
	k       *gcmKey
	hi      uint64 // counter high half of the stream (salt ⊕ SSRC)
	hiPart  gf     // ((hi ‖ 0) ⊕ L·H)·H⁻², for this hi
	started bool
	nonce   [16]byte // scratch (a field: a local handed to Seal would escape)
	slow    blockCTR
}

// gcmKey is what one AES key precomputes for gcmCTR, shared by every
// stream of the session (read-only after it is made).
type gcmKey struct {
	aead  cipher.AEAD
	d     gf     // L·H
	c     gf     // H⁻²
	basis [64]gf // (0⁶⁴ ‖ bit i of the low half)·H⁻²
}

func newGCMKey(blk cipher.Block) *gcmKey {
	var hb [16]byte
	blk.Encrypt(hb[:], hb[:]) // H = E_K(0¹²⁸)
	h := gf{binary.BigEndian.Uint64(hb[:]), binary.BigEndian.Uint64(hb[8:])}
	aead, err := cipher.NewGCMWithNonceSize(blk, 16)
	if err != nil {
		panic("srtpx: AES-GCM with a 16-byte nonce: " + err.Error()) // a valid AES block cipher always has it
	}
	// H⁻¹ = H^(2¹²⁸−2) = Π H^(2^i), i = 1…127.
	inv, sq := gf{hi: 1 << 63}, h
	for range 127 {
		sq = gfMul(sq, sq)
		inv = gfMul(inv, sq)
	}
	k := &gcmKey{aead: aead, d: gfMul(gf{0, 128}, h), c: gfMul(inv, inv)}
	for i := range k.basis {
		k.basis[i] = gfMul(gf{0, 1 << (63 - i)}, k.c)
	}
	return k
}

// newGCMKeystream is the CM profiles' keystream: gcmCTR, blockCTR for
// buffers without room.
func newGCMKeystream(k *sessionKeys) keystream {
	return &gcmCTR{k: k.ctr.get(k.block), slow: blockCTR{block: k.block}}
}

// lazyGCMKey makes a block's gcmKey on first use (a session whose SRTCP is
// never used by a stream of its own never pays for it).
type lazyGCMKey struct {
	once sync.Once
	k    *gcmKey
}

func (l *lazyGCMKey) get(blk cipher.Block) *gcmKey {
	l.once.Do(func() { l.k = newGCMKey(blk) })
	return l.k
}

func (g *gcmCTR) xorKeyStream(p []byte, hi, lo uint64) {
	if cap(p)-len(p) < 16 || len(p) == 0 {
		g.slow.xorKeyStream(p, hi, lo)
		return
	}
	if !g.started || hi != g.hi {
		g.hiPart = gfMul(gf{hi ^ g.k.d.hi, g.k.d.lo}, g.k.c)
		g.hi, g.started = hi, true
	}
	// J0 is the counter block minus one in its low 32 bits: Seal's first
	// keystream block is inc32(J0). SRTP blocks count in the low 16 bits,
	// so inc32 matches for any packet.
	j0 := lo&^0xffffffff | uint64(uint32(lo)-1)
	n := g.hiPart
	for i := range 64 {
		m := -(j0 >> (63 - i) & 1)
		n.hi ^= g.k.basis[i].hi & m
		n.lo ^= g.k.basis[i].lo & m
	}
	binary.BigEndian.PutUint64(g.nonce[:], n.hi)
	binary.BigEndian.PutUint64(g.nonce[8:], n.lo)
	g.k.aead.Seal(p[:0], g.nonce[:], p, nil)
}

// gf is an element of GF(2¹²⁸) in GCM's bit order (bit 0 = MSB of hi).
type gf struct{ hi, lo uint64 }

// gfMul is the multiplication of SP 800-38D §6.3 (constant time).
func gfMul(x, y gf) gf {
	var z gf
	v := y
	for i := range 128 {
		bit := x.lo >> (127 - i) & 1
		if i < 64 {
			bit = x.hi >> (63 - i) & 1
		}
		z.hi ^= v.hi & -bit
		z.lo ^= v.lo & -bit
		lsb := v.lo & 1
		v.lo = v.lo>>1 | v.hi<<63
		v.hi = v.hi>>1 ^ 0xe1<<56&-lsb
	}
	return z
}
