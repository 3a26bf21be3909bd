package webrtcep

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"sync"

	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/crypto/prf"
	"github.com/pion/dtls/v3/pkg/protocol/extension"
	"github.com/pion/dtls/v3/pkg/protocol/handshake"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media/srtpx"
)

// keyTap learns an endpoint's SRTP master keys from its own DTLS handshake,
// through public Pion hooks, so that the egress can encrypt what it sends
// itself (srtpx) instead of going through Pion's SRTP session and ICE
// connection for every packet (docs/performance.md: most of a forwarded
// packet's cost above the kernel).
//
//   - The DTLS key log (SettingEngine.SetDTLSKeyLogWriter) gives the client
//     random and the master secret (extended master secret included).
//   - Our own ServerHello (SettingEngine.SetDTLSServerHelloMessageHook)
//     gives the server random, the cipher suite and the SRTP profile we
//     chose. We see it only as the DTLS server, which is why endpoints
//     answer as server (SetAnsweringDTLSRole); as client the tap stays
//     empty and the endpoint keeps Pion's writer.
//   - The RFC 5705 exporter (label EXTRACTOR-dtls_srtp, RFC 5764 §4.2) over
//     them, with the PRF hash of the cipher suite, gives the keys.
//
// The keys are used only after they are proven (fastpath.go): Pion's own
// encryption of an RTCP packet we send must authenticate with them. Any
// doubt keeps Pion's writer. When pion/webrtc exposes the DTLS exporter,
// this shrinks to one call behind the same keys method.
type keyTap struct {
	mu           sync.Mutex // guards the fields below
	clientRandom [32]byte
	serverRandom [32]byte
	master       []byte
	suite        uint16
	profile      srtpx.Profile
	logged       bool // key log line seen
	hello        bool // our ServerHello seen (we are the DTLS server)
}

// tapKeys installs the tap on an endpoint's setting engine: we answer as
// the DTLS server (RFC 5763 allows either role; browsers and Kurento clients
// take "passive" answers), which also lets us choose the SRTP profile:
// AES-GCM first, cheapest to encrypt, unless the configuration set a list.
func tapKeys(se *webrtc.SettingEngine, tap *keyTap, profilesSet bool) error {
	if err := se.SetAnsweringDTLSRole(webrtc.DTLSRoleServer); err != nil {
		return fmt.Errorf("webrtc: DTLS role: %w", err)
	}
	se.SetDTLSKeyLogWriter(tap)
	se.SetDTLSServerHelloMessageHook(tap.serverHello)
	if !profilesSet {
		se.SetSRTPProtectionProfiles(dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AEAD_AES_256_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80)
	}
	return nil
}

// errNoKeys: the handshake did not give what the exporter needs (we were
// the DTLS client, or a hook did not run).
var errNoKeys = errors.New("webrtc: DTLS keys not tapped")

// Write receives the DTLS key log: "CLIENT_RANDOM <hex 32 B> <hex 48 B>\n".
func (k *keyTap) Write(line []byte) (int, error) {
	f := bytes.Fields(line)
	if len(f) != 3 || string(f[0]) != "CLIENT_RANDOM" {
		return len(line), nil
	}
	cr, err1 := hex.DecodeString(string(f[1]))
	ms, err2 := hex.DecodeString(string(f[2]))
	if err1 != nil || err2 != nil || len(cr) != 32 || len(ms) != 48 {
		return len(line), nil
	}
	k.mu.Lock()
	copy(k.clientRandom[:], cr)
	k.master, k.logged = ms, true
	k.mu.Unlock()
	return len(line), nil
}

// serverHello records our ServerHello and returns it unchanged.
func (k *keyTap) serverHello(m handshake.MessageServerHello) handshake.Message {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.serverRandom = m.Random.MarshalFixed()
	k.hello = true
	if m.CipherSuiteID != nil {
		k.suite = *m.CipherSuiteID
	}
	k.profile = 0
	for _, e := range m.Extensions {
		if u, ok := e.(*extension.UseSRTP); ok && len(u.ProtectionProfiles) > 0 {
			k.profile = srtpx.Profile(u.ProtectionProfiles[0])
		}
	}
	return &m
}

// keys exports this side's SRTP master keys (we are the DTLS server).
func (k *keyTap) keys() (srtpx.Keys, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.logged || !k.hello {
		return srtpx.Keys{}, errNoKeys
	}
	if !k.profile.Supported() {
		return srtpx.Keys{}, fmt.Errorf("webrtc: SRTP profile %v not supported by the egress", k.profile)
	}
	h, err := prfHash(k.suite)
	if err != nil {
		return srtpx.Keys{}, err
	}
	seed := make([]byte, 0, len(srtpx.ExporterLabel)+64)
	seed = append(seed, srtpx.ExporterLabel...)
	seed = append(seed, k.clientRandom[:]...)
	seed = append(seed, k.serverRandom[:]...)
	material, err := prf.PHash(k.master, seed, k.profile.KeyingMaterialLen(), h)
	if err != nil {
		return srtpx.Keys{}, fmt.Errorf("webrtc: DTLS exporter: %w", err)
	}
	return srtpx.KeysFromKeyingMaterial(k.profile, material, false)
}

// prfHash is the PRF hash of a DTLS 1.2 cipher suite: SHA-384 for the
// *_SHA384 suites, SHA-256 for every other suite Pion implements (TLS 1.2
// uses SHA-256 unless the suite names another).
func prfHash(suite uint16) (prf.HashFunc, error) {
	switch dtls.CipherSuiteID(suite) {
	case dtls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, dtls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:
		return func() hash.Hash { return sha512.New384() }, nil
	case dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, dtls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		dtls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, dtls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
		dtls.TLS_ECDHE_ECDSA_WITH_AES_128_CCM, dtls.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
		dtls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, dtls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:
		return sha256.New, nil
	}
	return nil, fmt.Errorf("webrtc: DTLS cipher suite %#04x: PRF hash unknown", suite)
}
