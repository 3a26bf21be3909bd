package srtpx

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"math/rand/v2"
	"reflect"
	"testing"
	"unsafe"
)

// This file measures the alternative to blockCTR that the egress design
// proposed: the standard library's random-access AES-CTR, reached by
// reflection (test code only; production code does not depend on it). It
// gives the figures for deciding whether that dependency is worth its speed.

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

// The three CTR implementations agree (so the benchmark compares equals).
func TestKeystreamsAgree(t *testing.T) {
	requireReflectCTR(t)
	r := rand.New(rand.NewPCG(1, 2))
	blk, _ := aes.NewCipher([]byte("0123456789abcdef"))
	ours, refl := newBlockCTR(blk), newReflectKS(blk)
	for range 200 {
		hi, lo := r.Uint64(), r.Uint64()&^0xffff
		n := r.IntN(1500)
		a, b := make([]byte, n), make([]byte, n)
		ours.xorKeyStream(a, hi, lo)
		refl.xorKeyStream(b, hi, lo)
		var iv [16]byte
		binary.BigEndian.PutUint64(iv[:], hi)
		binary.BigEndian.PutUint64(iv[8:], lo)
		c := make([]byte, n)
		cipher.NewCTR(blk, iv[:]).XORKeyStream(c, c)
		if !bytes.Equal(a, c) || !bytes.Equal(b, c) {
			t.Fatalf("keystreams differ at hi=%x lo=%x n=%d", hi, lo, n)
		}
	}
}

// BenchmarkCTR is the AES-128-CTR keystream of one 1200-byte payload:
// blockCTR (used), the reflective random-access CTR, and a new cipher.NewCTR
// per packet.
//
//	go test -run '^$' -bench 'CTR|SRTP/protect.*CM_128_HMAC_SHA1_80' -benchmem -count 5 ./internal/media/srtpx
func BenchmarkCTR(b *testing.B) {
	blk, _ := aes.NewCipher([]byte("0123456789abcdef"))
	payload := make([]byte, 1200)
	b.Run("block8", func(b *testing.B) {
		ks := newBlockCTR(blk)
		b.ReportAllocs()
		b.SetBytes(1200)
		i := uint64(0)
		for b.Loop() {
			i++
			ks.xorKeyStream(payload, 0x0102030405060708, i<<16)
		}
	})
	b.Run("reflect-at", func(b *testing.B) {
		requireReflectCTR(b)
		ks := newReflectKS(blk)
		b.ReportAllocs()
		b.SetBytes(1200)
		i := uint64(0)
		for b.Loop() {
			i++
			ks.xorKeyStream(payload, 0x0102030405060708, i<<16)
		}
	})
	b.Run("newctr-per-packet", func(b *testing.B) {
		var iv [16]byte
		b.ReportAllocs()
		b.SetBytes(1200)
		i := uint64(0)
		for b.Loop() {
			i++
			binary.BigEndian.PutUint64(iv[8:], i<<16)
			cipher.NewCTR(blk, iv[:]).XORKeyStream(payload, payload)
		}
	})
	// The whole AES_CM_128_HMAC_SHA1_80 protect with the reflective CTR, to
	// set beside BenchmarkSRTP/protect/AES_CM_128_HMAC_SHA1_80.
	b.Run("protect-reflect-at/AES_CM_128_HMAC_SHA1_80", func(b *testing.B) {
		requireReflectCTR(b)
		benchProtect(b, AES128CMHMACSHA1_80, make([]byte, 16), make([]byte, 14),
			func(s *Session) { s.newKeystream = newReflectKS })
	})
}
