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

// This file checks the CTR keystreams against cipher.NewCTR and measures
// them beside an alternative kept in test code only: reflect-at, the
// standard library's random-access AES-CTR (XORKeyStreamAt), reached by
// reflection into crypto/cipher's private wrapper (a Go release may break
// it; the package uses gcmCTR, exported API only, see gcmctr.go).

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

func newReflectKS(k *sessionKeys) keystream { return &reflectKS{blk: k.block} }

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

// testKeys is the session material of one AES key, for the keystreams.
func testKeys(key string) *sessionKeys {
	blk, _ := aes.NewCipher([]byte(key))
	return &sessionKeys{block: blk, ctr: &lazyGCMKey{}}
}

// The CTR implementations agree with cipher.NewCTR, gcmCTR both with room
// after the buffer (Seal in place) and without (its blockCTR fallback), and
// what follows the buffer beyond 16 bytes is never touched.
func TestKeystreamsAgree(t *testing.T) {
	requireReflectCTR(t)
	r := rand.New(rand.NewPCG(1, 2))
	k := testKeys("0123456789abcdef")
	ours, refl, gcm := newBlockCTR(k), newReflectKS(k), newGCMKeystream(k)
	for i := range 400 {
		hi, lo := r.Uint64(), r.Uint64()&^0xffff
		n := r.IntN(1500)
		room := 16 + 8
		if i%2 == 1 {
			room = r.IntN(16)
		}
		a, b := make([]byte, n), make([]byte, n)
		g := make([]byte, n+room)
		for j := n; j < len(g); j++ {
			g[j] = 0xEE
		}
		ours.xorKeyStream(a, hi, lo)
		refl.xorKeyStream(b, hi, lo)
		gcm.xorKeyStream(g[:n], hi, lo)
		var iv [16]byte
		binary.BigEndian.PutUint64(iv[:], hi)
		binary.BigEndian.PutUint64(iv[8:], lo)
		c := make([]byte, n)
		cipher.NewCTR(k.block, iv[:]).XORKeyStream(c, c)
		if !bytes.Equal(a, c) || !bytes.Equal(b, c) || !bytes.Equal(g[:n], c) {
			t.Fatalf("keystreams differ at hi=%x lo=%x n=%d room=%d", hi, lo, n, room)
		}
		for j := n + 16; j < len(g); j++ {
			if g[j] != 0xEE {
				t.Fatalf("gcmCTR wrote %d bytes past the buffer", j-n+1)
			}
		}
	}
}

// BenchmarkCTR is the AES-128-CTR keystream of one 1200-byte payload:
// blockCTR, the reflective random-access CTR, gcmCTR (used: GCM Seal with a
// solved nonce), and a new cipher.NewCTR per packet; then a whole CM-80
// protect with the alternatives.
//
//	go test -run '^$' -bench 'CTR|SRTP/protect.*CM_128_HMAC_SHA1_80' -benchmem -count 5 ./internal/media/srtpx
func BenchmarkCTR(b *testing.B) {
	k := testKeys("0123456789abcdef")
	payload := make([]byte, 1200, 1216)
	for _, ks := range []struct {
		name string
		make func(*sessionKeys) keystream
	}{{"block8", newBlockCTR}, {"reflect-at", newReflectKS}, {"gcm-j0", newGCMKeystream}} {
		b.Run(ks.name, func(b *testing.B) {
			if ks.name == "reflect-at" {
				requireReflectCTR(b)
			}
			s := ks.make(k)
			i := uint64(0)
			measure(b, 1200, func() {
				i++
				s.xorKeyStream(payload, 0x0102030405060708, i<<16)
			})
		})
	}
	b.Run("newctr-per-packet", func(b *testing.B) {
		var iv [16]byte
		i := uint64(0)
		measure(b, 1200, func() {
			i++
			binary.BigEndian.PutUint64(iv[8:], i<<16)
			cipher.NewCTR(k.block, iv[:]).XORKeyStream(payload, payload)
		})
	})
	// The whole AES_CM_128_HMAC_SHA1_80 protect with the other CTRs, to
	// set beside BenchmarkSRTP/protect/AES_CM_128_HMAC_SHA1_80 (gcmCTR).
	b.Run("protect-reflect-at/AES_CM_128_HMAC_SHA1_80", func(b *testing.B) {
		requireReflectCTR(b)
		benchProtect(b, AES128CMHMACSHA1_80, make([]byte, 16), make([]byte, 14),
			func(s *Session) { s.newKeystream = newReflectKS })
	})
	b.Run("protect-block8/AES_CM_128_HMAC_SHA1_80", func(b *testing.B) {
		benchProtect(b, AES128CMHMACSHA1_80, make([]byte, 16), make([]byte, 14),
			func(s *Session) { s.newKeystream = newBlockCTR })
	})
}
