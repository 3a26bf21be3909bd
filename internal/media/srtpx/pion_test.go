package srtpx

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/pion/srtp/v3"
)

// Cross-checks with pion/srtp, the implementation our peers' Pion stacks
// use: what we protect pion unprotects and the other way round, across a
// sequence-number wrap (ROC 0→1 and a ROC that starts high), with CSRCs,
// one- and two-byte header extensions, padding, reordering, and a
// retransmission of a pre-wrap packet that arrives after the wrap.

var allProfiles = []Profile{AES128CMHMACSHA1_80, AES128CMHMACSHA1_32, AEADAES128GCM, AEADAES256GCM}

func pionProfile(p Profile) srtp.ProtectionProfile { return srtp.ProtectionProfile(p) }

type keyPair struct{ key, salt []byte }

func randomKeys(r *rand.Rand, p Profile) keyPair {
	k := keyPair{make([]byte, p.KeyLen()), make([]byte, p.SaltLen())}
	for i := range k.key {
		k.key[i] = byte(r.Uint32())
	}
	for i := range k.salt {
		k.salt[i] = byte(r.Uint32())
	}
	return k
}

// randomRTP builds an RTP packet with random CSRCs, extension, padding and
// payload, with spare capacity for any tag.
func randomRTP(r *rand.Rand, ssrc uint32, seq uint16) []byte {
	b := make([]byte, 12, 1600)
	cc := r.IntN(5)
	b[0] = 0x80 | byte(cc)
	b[1] = byte(r.IntN(128))
	binary.BigEndian.PutUint16(b[2:], seq)
	binary.BigEndian.PutUint32(b[4:], r.Uint32())
	binary.BigEndian.PutUint32(b[8:], ssrc)
	for range cc {
		b = binary.BigEndian.AppendUint32(b, r.Uint32())
	}
	if r.IntN(3) != 0 {
		b = appendExtension(r, b)
	}
	for range r.IntN(1300) {
		b = append(b, byte(r.Uint32()))
	}
	if r.IntN(8) == 0 { // RTP padding: the last byte counts the padding bytes
		b[0] |= 0x20
		pad := 1 + r.IntN(8)
		for i := 1; i < pad; i++ {
			b = append(b, 0)
		}
		b = append(b, byte(pad))
	}
	return b
}

// appendExtension appends an RFC 8285 header extension of random valid
// elements, one-byte (0xBEDE) or two-byte (0x100x) form, and sets the X bit.
func appendExtension(r *rand.Rand, b []byte) []byte {
	b[0] |= 0x10
	oneByte := r.IntN(2) == 0
	var body []byte
	for range 1 + r.IntN(4) {
		n := 1 + r.IntN(8)
		if oneByte {
			body = append(body, byte(1+r.IntN(14))<<4|byte(n-1))
		} else {
			body = append(body, byte(1+r.IntN(255)), byte(n))
		}
		for range n {
			body = append(body, byte(r.Uint32()))
		}
	}
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	profile := uint16(0xBEDE)
	if !oneByte {
		profile = 0x1000
	}
	b = binary.BigEndian.AppendUint16(b, profile)
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)/4))
	return append(b, body...)
}

// randomRTCP builds a sender report-shaped RTCP packet of the given SSRC.
func randomRTCP(r *rand.Rand, ssrc uint32) []byte {
	words := 1 + r.IntN(40)
	b := make([]byte, 8+4*words, 8+4*words+64)
	b[0], b[1] = 0x80, 200
	binary.BigEndian.PutUint16(b[2:], uint16(words+1))
	binary.BigEndian.PutUint32(b[4:], ssrc)
	for i := 8; i < len(b); i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// seqPlan is the order in which packets are sent: startSeq onward for n
// packets, with neighbours swapped now and then, and the packet at "late"
// held back until 40 packets after the wrap (a retransmission).
func seqPlan(r *rand.Rand, startSeq uint16, n int) []uint16 {
	seqs := make([]uint16, n)
	for i := range seqs {
		seqs[i] = startSeq + uint16(i)
	}
	for i := 1; i < n-1; i++ {
		if r.IntN(10) == 0 {
			seqs[i], seqs[i+1] = seqs[i+1], seqs[i]
		}
	}
	lateAt := -1
	for i, s := range seqs {
		if s == 65530 {
			lateAt = i
		}
	}
	if lateAt >= 0 && lateAt+60 < n {
		late := seqs[lateAt]
		seqs = append(seqs[:lateAt], seqs[lateAt+1:]...)
		at := 0
		for i, s := range seqs {
			if s == 40 {
				at = i
			}
		}
		seqs = append(seqs[:at+1], append([]uint16{late}, seqs[at+1:]...)...)
	}
	return seqs
}

func TestRTPWithPion(t *testing.T) {
	for _, p := range allProfiles {
		for _, startROC := range []uint32{0, 0xfffe} {
			t.Run(fmt.Sprintf("%v/roc%d", p, startROC), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(p), uint64(startROC)))
				k := randomKeys(r, p)
				const ssrc = 0x11223344
				seqs := seqPlan(r, 64000, 3000) // wraps after 1536 packets

				ours, err := NewSession(p, k.key, k.salt)
				if err != nil {
					t.Fatal(err)
				}
				pionCtx := func() *srtp.Context {
					c, err := srtp.CreateContext(k.key, k.salt, pionProfile(p))
					if err != nil {
						t.Fatal(err)
					}
					if startROC != 0 {
						c.SetROC(ssrc, startROC)
					}
					return c
				}

				// ours → pion
				tx := ours.NewStream(ssrc)
				tx.SetROC(startROC)
				rx := pionCtx()
				for _, seq := range seqs {
					plain := randomRTP(r, ssrc, seq)
					want := append([]byte(nil), plain...)
					enc, err := tx.Protect(plain)
					if err != nil {
						t.Fatalf("protect seq %d: %v", seq, err)
					}
					got, err := rx.DecryptRTP(nil, enc, nil)
					if err != nil {
						t.Fatalf("pion decrypt seq %d: %v", seq, err)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("seq %d: pion decrypted %x, want %x", seq, got, want)
					}
				}
				if roc, _ := rx.ROC(ssrc); roc != startROC+1 {
					t.Errorf("pion's ROC after the wrap = %d, want %d", roc, startROC+1)
				}

				// pion → ours
				ptx := pionCtx()
				orx := ours.NewStream(ssrc)
				orx.SetROC(startROC)
				for _, seq := range seqs {
					plain := randomRTP(r, ssrc, seq)
					enc, err := ptx.EncryptRTP(nil, plain, nil)
					if err != nil {
						t.Fatalf("pion encrypt seq %d: %v", seq, err)
					}
					got, err := orx.Unprotect(withRoom(enc))
					if err != nil {
						t.Fatalf("unprotect seq %d: %v", seq, err)
					}
					if !bytes.Equal(got, plain) {
						t.Fatalf("seq %d: decrypted %x, want %x", seq, got, plain)
					}
				}
				if top := orx.rx.top >> 16; top != uint64(startROC)+1 {
					t.Errorf("our ROC after the wrap = %d, want %d", top, startROC+1)
				}
			})
		}
	}
}

// The egress numbers its own output: ProtectIndex with the index it keeps,
// including a retransmission across the wrap with the original ROC.
func TestProtectIndexWithPion(t *testing.T) {
	for _, p := range allProfiles {
		t.Run(p.String(), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(p), 7))
			k := randomKeys(r, p)
			const ssrc = 0xdecafbad
			ours, err := NewSession(p, k.key, k.salt)
			if err != nil {
				t.Fatal(err)
			}
			rx, err := srtp.CreateContext(k.key, k.salt, pionProfile(p))
			if err != nil {
				t.Fatal(err)
			}
			st := ours.NewStream(ssrc)
			base := uint64(3)<<16 | 65500
			rx.SetROC(ssrc, 3)
			var lost uint64
			for ext := base; ext < base+100; ext++ {
				if uint16(ext) == 65534 {
					lost = ext // not delivered now: resent after the wrap
					continue
				}
				send(t, st, rx, r, ssrc, ext)
			}
			send(t, st, rx, r, ssrc, lost)
		})
	}
}

func send(t *testing.T, st *Stream, rx *srtp.Context, r *rand.Rand, ssrc uint32, ext uint64) {
	t.Helper()
	plain := randomRTP(r, ssrc, uint16(ext))
	want := append([]byte(nil), plain...)
	enc, err := st.ProtectIndex(plain, ext)
	if err != nil {
		t.Fatalf("protect index %d: %v", ext, err)
	}
	got, err := rx.DecryptRTP(nil, enc, nil)
	if err != nil {
		t.Fatalf("pion decrypt index %d: %v", ext, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("index %d: pion decrypted %x, want %x", ext, got, want)
	}
}

func TestRTCPWithPion(t *testing.T) {
	for _, p := range allProfiles {
		for _, encrypt := range []bool{true, false} {
			name := p.String()
			if !encrypt {
				name += "/authenticated-only"
			}
			t.Run(name, func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(p), 11))
				k := randomKeys(r, p)
				const ssrc = 0x5eed
				ours, err := NewSession(p, k.key, k.salt)
				if err != nil {
					t.Fatal(err)
				}
				var opts []srtp.ContextOption
				if !encrypt {
					opts = append(opts, srtp.SRTCPNoEncryption())
				}
				pionCtx, err := srtp.CreateContext(k.key, k.salt, pionProfile(p), opts...)
				if err != nil {
					t.Fatal(err)
				}
				tx, rx := ours.NewStream(ssrc), ours.NewStream(ssrc)
				for i := range 200 {
					if encrypt { // we always encrypt; pion reads it
						plain := randomRTCP(r, ssrc)
						want := append([]byte(nil), plain...)
						enc, err := tx.ProtectRTCP(plain)
						if err != nil {
							t.Fatal(err)
						}
						got, err := pionCtx.DecryptRTCP(nil, enc, nil)
						if err != nil {
							t.Fatalf("packet %d: pion decrypt: %v", i, err)
						}
						if !bytes.Equal(got, want) {
							t.Fatalf("packet %d: pion decrypted %x, want %x", i, got, want)
						}
					}
					plain := randomRTCP(r, ssrc)
					enc, err := pionCtx.EncryptRTCP(nil, plain, nil)
					if err != nil {
						t.Fatal(err)
					}
					got, err := rx.UnprotectRTCP(withRoom(enc))
					if err != nil {
						t.Fatalf("packet %d: unprotect: %v", i, err)
					}
					if !bytes.Equal(got, plain) {
						t.Fatalf("packet %d: decrypted %x, want %x", i, got, plain)
					}
				}
			})
		}
	}
}

// Keys split the same way as pion/srtp's ExtractSessionKeysFromDTLS.
type fakeExporter []byte

func (f fakeExporter) ExportKeyingMaterial(label string, _ []byte, n int) ([]byte, error) {
	return f[:n], nil
}

func TestKeysFromKeyingMaterialLikePion(t *testing.T) {
	for _, p := range allProfiles {
		material := make([]byte, p.KeyingMaterialLen())
		for i := range material {
			material[i] = byte(i * 7)
		}
		for _, isClient := range []bool{true, false} {
			var cfg srtp.Config
			cfg.Profile = pionProfile(p)
			if err := cfg.ExtractSessionKeysFromDTLS(fakeExporter(material), isClient); err != nil {
				t.Fatal(err)
			}
			k, err := KeysFromKeyingMaterial(p, material, isClient)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(k.LocalKey, cfg.Keys.LocalMasterKey) || !bytes.Equal(k.LocalSalt, cfg.Keys.LocalMasterSalt) ||
				!bytes.Equal(k.RemoteKey, cfg.Keys.RemoteMasterKey) || !bytes.Equal(k.RemoteSalt, cfg.Keys.RemoteMasterSalt) {
				t.Errorf("%v client=%v: keys differ from pion's", p, isClient)
			}
			if _, _, err := k.Sessions(); err != nil {
				t.Errorf("%v: sessions: %v", p, err)
			}
		}
	}
	if _, err := KeysFromKeyingMaterial(AEADAES128GCM, make([]byte, 10), true); err == nil {
		t.Error("short keying material accepted")
	}
}
