package srtpx

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"math/rand/v2"
	"reflect"
	"testing"
	"unsafe"
)

// This file measures two alternatives to blockCTR (test code only; the
// package does not use them), to decide whether either is worth it:
//
//   - reflect-at: the standard library's random-access AES-CTR
//     (XORKeyStreamAt), reached by reflection into crypto/cipher's private
//     wrapper, as the egress design proposed;
//   - gcm-j0: exported API only. AES-GCM with a 16-byte nonce starts its
//     keystream at inc32(J0), J0 = GHASH_H(nonce || len) = nonce·H² ⊕ L·H
//     (NIST SP 800-38D §7.1), which is linear in the nonce: solving for the
//     nonce that gives J0 = CM counter - 1 turns Seal into the pipelined CTR
//     (plus a wasted GHASH). Costs a 1 KB table per key and GF(2^128) math.

// ctrAt is the method of crypto/internal/fips140/aes.CTR (Go 1.24+).
type ctrAt interface {
	XORKeyStreamAt(dst, src []byte, offset uint64)
}

// reflectCTRAt digs the *aes.CTR out of the wrapper cipher.NewCTR returns.
func reflectCTRAt(blk cipher.Block, iv []byte) (ctrAt, bool) {
	s := cipher.NewCTR(blk, iv)
	v := reflect.ValueOf(s)
	if v.Kind() != reflect.Struct || v.NumField() != 1 {
		return nil, false
	}
	c := reflect.New(v.Type()).Elem()
	c.Set(v)
	f := c.Field(0)
	at, ok := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(ctrAt)
	return at, ok
}

// reflectKS is a keystream on XORKeyStreamAt: one CTR per stream whose base
// counter holds hi and the top 4 bits of lo, so that the byte offset
// (lo mod 2^60)*16 fits in 64 bits. The top bits change only when the salted
// index crosses a 2^44 boundary; then the CTR is rebuilt.
type reflectKS struct {
	blk     cipher.Block
	hi, top uint64
	at      ctrAt
}

func newReflectKS(blk cipher.Block) keystream { return &reflectKS{blk: blk} }

func (r *reflectKS) xorKeyStream(p []byte, hi, lo uint64) {
	const low = 1<<60 - 1
	if r.at == nil || r.hi != hi || r.top != lo&^low {
		var iv [16]byte
		binary.BigEndian.PutUint64(iv[:], hi)
		binary.BigEndian.PutUint64(iv[8:], lo&^low)
		at, ok := reflectCTRAt(r.blk, iv[:])
		if !ok {
			panic("reflective CTR unavailable")
		}
		r.at, r.hi, r.top = at, hi, lo&^low
	}
	r.at.XORKeyStreamAt(p, p, (lo&low)*16)
}

func requireReflectCTR(tb testing.TB) {
	blk, _ := aes.NewCipher(make([]byte, 16))
	if _, ok := reflectCTRAt(blk, make([]byte, 16)); !ok {
		tb.Skip("crypto/cipher's CTR wrapper changed: the reflective hop no longer works")
	}
}

// gf is an element of GF(2^128) in GCM's bit order (bit 0 = MSB of hi).
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

// gcmJ0KS is a keystream on AES-GCM Seal (see the file comment).
type gcmJ0KS struct {
	aead    cipher.AEAD
	d, c    gf     // d = L·H (L: the length block of a 128-bit nonce), c = H⁻²
	basis   [64]gf // (0 || bit i of the low half)·c
	hi      uint64 // stream constant: counter high half
	hiPart  gf     // ((hi || 0) ⊕ d)·c
	started bool
	nonce   [16]byte
	zeros   [2048]byte
	out     [2048 + 16]byte
}

func newGCMJ0KS(blk cipher.Block) keystream {
	var hb [16]byte
	blk.Encrypt(hb[:], hb[:])
	h := gf{binary.BigEndian.Uint64(hb[:]), binary.BigEndian.Uint64(hb[8:])}
	aead, err := cipher.NewGCMWithNonceSize(blk, 16)
	if err != nil {
		panic(err)
	}
	inv, sq := gf{hi: 1 << 63}, h // h^(2^128-2) = Π h^(2^i), i = 1..127
	for range 127 {
		sq = gfMul(sq, sq)
		inv = gfMul(inv, sq)
	}
	g := &gcmJ0KS{aead: aead, d: gfMul(gf{0, 128}, h), c: gfMul(inv, inv)}
	for i := range g.basis {
		g.basis[i] = gfMul(gf{0, 1 << (63 - i)}, g.c)
	}
	return g
}

func (g *gcmJ0KS) xorKeyStream(p []byte, hi, lo uint64) {
	if !g.started || hi != g.hi {
		g.hiPart = gfMul(gf{hi ^ g.d.hi, g.d.lo}, g.c)
		g.hi, g.started = hi, true
	}
	// J0 = counter - 1 in the low 32 bits (Seal's first block is inc32(J0)).
	j0 := lo&^0xffffffff | uint64(uint32(lo)-1)
	n := g.hiPart
	for i := range 64 {
		m := -(j0 >> (63 - i) & 1)
		n.hi ^= g.basis[i].hi & m
		n.lo ^= g.basis[i].lo & m
	}
	binary.BigEndian.PutUint64(g.nonce[:], n.hi)
	binary.BigEndian.PutUint64(g.nonce[8:], n.lo)
	k := min(len(p), len(g.zeros))
	ks := g.aead.Seal(g.out[:0], g.nonce[:], g.zeros[:k], nil)
	subtle.XORBytes(p, p, ks[:k])
	if len(p) > k { // the counter moves on by k/16 blocks
		g.xorKeyStream(p[k:], hi, lo+uint64(k/16))
	}
}

// The four CTR implementations agree (so the benchmark compares equals).
func TestKeystreamsAgree(t *testing.T) {
	requireReflectCTR(t)
	r := rand.New(rand.NewPCG(1, 2))
	blk, _ := aes.NewCipher([]byte("0123456789abcdef"))
	ours, refl, j0 := newBlockCTR(blk), newReflectKS(blk), newGCMJ0KS(blk)
	for range 200 {
		hi, lo := r.Uint64(), r.Uint64()&^0xffff
		n := r.IntN(1500)
		a, b, g := make([]byte, n), make([]byte, n), make([]byte, n)
		ours.xorKeyStream(a, hi, lo)
		refl.xorKeyStream(b, hi, lo)
		j0.xorKeyStream(g, hi, lo)
		var iv [16]byte
		binary.BigEndian.PutUint64(iv[:], hi)
		binary.BigEndian.PutUint64(iv[8:], lo)
		c := make([]byte, n)
		cipher.NewCTR(blk, iv[:]).XORKeyStream(c, c)
		if !bytes.Equal(a, c) || !bytes.Equal(b, c) || !bytes.Equal(g, c) {
			t.Fatalf("keystreams differ at hi=%x lo=%x n=%d", hi, lo, n)
		}
	}
}

// BenchmarkCTR is the AES-128-CTR keystream of one 1200-byte payload:
// blockCTR (used), the reflective random-access CTR, GCM Seal with a solved
// nonce, and a new cipher.NewCTR per packet; then a whole CM-80 protect with
// each alternative.
//
//	go test -run '^$' -bench 'CTR|SRTP/protect.*CM_128_HMAC_SHA1_80' -benchmem -count 5 ./internal/media/srtpx
func BenchmarkCTR(b *testing.B) {
	blk, _ := aes.NewCipher([]byte("0123456789abcdef"))
	payload := make([]byte, 1200)
	b.Run("block8", func(b *testing.B) {
		ks := newBlockCTR(blk)
		i := uint64(0)
		measure(b, 1200, func() {
			i++
			ks.xorKeyStream(payload, 0x0102030405060708, i<<16)
		})
	})
	b.Run("reflect-at", func(b *testing.B) {
		requireReflectCTR(b)
		ks := newReflectKS(blk)
		i := uint64(0)
		measure(b, 1200, func() {
			i++
			ks.xorKeyStream(payload, 0x0102030405060708, i<<16)
		})
	})
	b.Run("gcm-j0", func(b *testing.B) {
		ks := newGCMJ0KS(blk)
		i := uint64(0)
		measure(b, 1200, func() {
			i++
			ks.xorKeyStream(payload, 0x0102030405060708, i<<16)
		})
	})
	b.Run("newctr-per-packet", func(b *testing.B) {
		var iv [16]byte
		i := uint64(0)
		measure(b, 1200, func() {
			i++
			binary.BigEndian.PutUint64(iv[8:], i<<16)
			cipher.NewCTR(blk, iv[:]).XORKeyStream(payload, payload)
		})
	})
	// The whole AES_CM_128_HMAC_SHA1_80 protect with the reflective CTR, to
	// set beside BenchmarkSRTP/protect/AES_CM_128_HMAC_SHA1_80.
	b.Run("protect-reflect-at/AES_CM_128_HMAC_SHA1_80", func(b *testing.B) {
		requireReflectCTR(b)
		benchProtect(b, AES128CMHMACSHA1_80, make([]byte, 16), make([]byte, 14),
			func(s *Session) { s.newKeystream = newReflectKS })
	})
	b.Run("protect-gcm-j0/AES_CM_128_HMAC_SHA1_80", func(b *testing.B) {
		benchProtect(b, AES128CMHMACSHA1_80, make([]byte, 16), make([]byte, 14),
			func(s *Session) { s.newKeystream = newGCMJ0KS })
	})
}
