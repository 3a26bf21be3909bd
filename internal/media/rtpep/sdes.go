package rtpep

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/srtp/v3"
)

// SDES are the crypto constructor parameters (Kurento's SDES): a master
// key and salt given as text (Key) or base64 (KeyBase64), and the suite.
// All empty: plain RTP. A suite without a key gets a random key.
type SDES struct {
	Key       string
	KeyBase64 string
	Suite     string // Kurento CryptoSuite, e.g. AES_128_CM_HMAC_SHA1_80
}

// Enabled reports whether SRTP is asked for.
func (s SDES) Enabled() bool { return s.Key != "" || s.KeyBase64 != "" || s.Suite != "" }

// suite is one SRTP crypto suite: its Kurento enum name, its SDP name
// (RFC 4568, RFC 6188) and Pion's profile.
type suite struct {
	kurento, sdp string
	profile      srtp.ProtectionProfile
}

// suites are the SDES suites KMS offers; the first is the default.
var suites = []suite{
	{"AES_128_CM_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_80", srtp.ProtectionProfileAes128CmHmacSha1_80},
	{"AES_128_CM_HMAC_SHA1_32", "AES_CM_128_HMAC_SHA1_32", srtp.ProtectionProfileAes128CmHmacSha1_32},
	{"AES_256_CM_HMAC_SHA1_80", "AES_256_CM_HMAC_SHA1_80", srtp.ProtectionProfileAes256CmHmacSha1_80},
	{"AES_256_CM_HMAC_SHA1_32", "AES_256_CM_HMAC_SHA1_32", srtp.ProtectionProfileAes256CmHmacSha1_32},
}

// CryptoSuites lists the Kurento CryptoSuite values.
func CryptoSuites() []string {
	out := make([]string, len(suites))
	for i, s := range suites {
		out[i] = s.kurento
	}
	return out
}

func suiteByKurento(name string) (suite, bool) {
	for _, s := range suites {
		if s.kurento == name {
			return s, true
		}
	}
	return suite{}, false
}

func suiteBySDP(name string) (suite, bool) {
	for _, s := range suites {
		if strings.EqualFold(s.sdp, name) {
			return s, true
		}
	}
	return suite{}, false
}

// keyLen is the length of the master key plus salt of a suite (30 or 46).
func (s suite) keyLen() int {
	k, _ := s.profile.KeyLen()
	salt, _ := s.profile.SaltLen()
	return k + salt
}

// keying is a suite and one side's master key+salt.
type keying struct {
	suite suite
	key   []byte // master key followed by master salt
}

// context makes an SRTP context for this key (one per direction and
// protocol: Pion's contexts are not safe for concurrent use).
func (k keying) context(opts ...srtp.ContextOption) (*srtp.Context, error) {
	n, _ := k.suite.profile.KeyLen()
	return srtp.CreateContext(k.key[:n], k.key[n:], k.suite.profile, opts...)
}

// localKeying checks the constructor's SDES and returns the local key
// (random when none is given).
func localKeying(s SDES) (keying, error) {
	name := s.Suite
	if name == "" {
		name = suites[0].kurento
	}
	su, ok := suiteByKurento(name)
	if !ok {
		return keying{}, failure(ErrCrypto, "Invalid value for 'CryptoSuite': %q (want one of %s)", s.Suite, strings.Join(CryptoSuites(), ", "))
	}
	want := su.keyLen()
	var key []byte
	switch {
	case s.Key != "" && s.KeyBase64 != "":
		return keying{}, failure(ErrCrypto, "SDES: give key or keyBase64, not both")
	case s.Key != "":
		key = []byte(s.Key)
		if len(key) != want {
			return keying{}, failure(ErrCrypto, "SDES key for %s must be %d characters (master key and salt), got %d", su.kurento, want, len(key))
		}
	case s.KeyBase64 != "":
		b, err := base64.StdEncoding.DecodeString(s.KeyBase64)
		if err != nil {
			return keying{}, failure(ErrCrypto, "SDES keyBase64 is not base64: %v", err)
		}
		if len(b) != want {
			return keying{}, failure(ErrCrypto, "SDES keyBase64 for %s must decode to %d bytes (master key and salt), got %d", su.kurento, want, len(b))
		}
		key = b
	default:
		key = make([]byte, want)
		if _, err := rand.Read(key); err != nil {
			return keying{}, fmt.Errorf("rtp: random SRTP key: %w", err)
		}
	}
	return keying{suite: su, key: key}, nil
}

// cryptoAttr is one a=crypto line (RFC 4568 §9.1).
type cryptoAttr struct {
	tag   int
	suite string
	key   []byte // key‖salt of the first inline key
}

// parseCrypto parses the value of an a=crypto attribute:
//
//	<tag> <suite> inline:<base64 key‖salt>[|lifetime][|MKI:length][;inline:…] [session params]
//
// Only the first key is used; a key with an MKI is refused (KMS does not
// use MKIs either). Written by hand: pion/sdp keeps attributes as text.
func parseCrypto(v string) (cryptoAttr, error) {
	f := strings.Fields(v)
	if len(f) < 3 {
		return cryptoAttr{}, fmt.Errorf("a=crypto:%s: want <tag> <suite> inline:<key>", v)
	}
	tag, err := strconv.Atoi(f[0])
	if err != nil || tag < 0 || len(f[0]) > 9 {
		return cryptoAttr{}, fmt.Errorf("a=crypto:%s: bad tag %q", v, f[0])
	}
	params, _, _ := strings.Cut(f[2], ";")
	method, info, ok := strings.Cut(params, ":")
	if !ok || !strings.EqualFold(method, "inline") {
		return cryptoAttr{}, fmt.Errorf("a=crypto:%s: key method %q is not inline", v, method)
	}
	parts := strings.Split(info, "|")
	if len(parts) > 2 || (len(parts) == 2 && strings.Contains(parts[1], ":")) {
		return cryptoAttr{}, fmt.Errorf("a=crypto:%s: keys with an MKI are not supported", v)
	}
	key, err := base64.StdEncoding.DecodeString(parts[0])
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(parts[0])
	}
	if err != nil {
		return cryptoAttr{}, fmt.Errorf("a=crypto:%s: key is not base64", v)
	}
	return cryptoAttr{tag: tag, suite: f[1], key: key}, nil
}

// remoteKeying picks the remote key of our suite among a=crypto values.
func remoteKeying(values []string, want suite) (keying, int, error) {
	var seen []string
	for _, v := range values {
		c, err := parseCrypto(v)
		if err != nil {
			return keying{}, 0, err
		}
		seen = append(seen, c.suite)
		su, ok := suiteBySDP(c.suite)
		if !ok || su != want {
			continue
		}
		if len(c.key) != su.keyLen() {
			return keying{}, 0, fmt.Errorf("a=crypto %s key is %d bytes, want %d", c.suite, len(c.key), su.keyLen())
		}
		return keying{suite: su, key: c.key}, c.tag, nil
	}
	if len(seen) == 0 {
		return keying{}, 0, fmt.Errorf("no a=crypto line, and the endpoint was created with crypto %s", want.kurento)
	}
	return keying{}, 0, fmt.Errorf("no a=crypto line with suite %s (offered: %s)", want.sdp, strings.Join(seen, ", "))
}

// cryptoLine is the value of our a=crypto attribute.
func (k keying) cryptoLine(tag int) string {
	return strconv.Itoa(tag) + " " + k.suite.sdp + " inline:" + base64.StdEncoding.EncodeToString(k.key)
}
