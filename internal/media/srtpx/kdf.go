package srtpx

import (
	"crypto/aes"
	"encoding/binary"
	"fmt"
)

// Key derivation labels, RFC 3711 §4.3.2 (RTP) and §4.3.2 / Figure 5 (RTCP).
const (
	labelRTPKey      = 0x00
	labelRTPAuth     = 0x01
	labelRTPSalt     = 0x02
	labelRTCPKey     = 0x03
	labelRTCPAuth    = 0x04
	labelRTCPSalt    = 0x05
	maxDerivedLength = 32
)

// derive is the AES-CM key derivation of RFC 3711 §4.3.1/§4.3.3 with a key
// derivation rate of 0 (the only rate DTLS-SRTP uses): the PRF input is the
// master salt with the label XORed into byte 7 (key_id = label || r, r = 0,
// aligned to the right of the 112-bit salt), shifted left by 16 bits; the
// output is the AES-CTR keystream of that counter under the master key. The
// 96-bit salts of the GCM profiles are used the same way, left-aligned (the
// RFC 7714 §11 "padded on the right" reading; checked against libsrtp's GCM
// reference packets in the tests).
func derive(masterKey, masterSalt []byte, label byte, n int) ([]byte, error) {
	if n > maxDerivedLength {
		return nil, fmt.Errorf("srtp: derived key of %d bytes", n)
	}
	blk, err := aes.NewCipher(masterKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeyLength, err)
	}
	var in [16]byte
	copy(in[:14], masterSalt)
	in[7] ^= label
	out := make([]byte, (n+15)/16*16)
	for j := 0; j*16 < n; j++ {
		binary.BigEndian.PutUint16(in[14:], uint16(j))
		blk.Encrypt(out[j*16:], in[:])
	}
	return out[:n], nil
}
