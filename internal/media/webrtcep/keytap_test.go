package webrtcep

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/crypto/selfsign"
	dtlsnet "github.com/pion/dtls/v3/pkg/net"

	"github.com/gorento/gorento/internal/media/srtpx"
)

// TestKeyTap runs real DTLS handshakes (pion/dtls, in memory) with the tap
// on the server and checks its keys against what pion/dtls's own RFC 5705
// exporter gives, for SHA-256 and SHA-384 suites, with and without the
// extended master secret, and for each SRTP profile.
func TestKeyTap(t *testing.T) {
	cert, err := selfsign.GenerateSelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		suite   dtls.CipherSuiteID
		ems     dtls.ExtendedMasterSecretType
		profile dtls.SRTPProtectionProfile
	}{
		{"gcm128-sha256-ems", dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, dtls.RequireExtendedMasterSecret, dtls.SRTP_AEAD_AES_128_GCM},
		{"gcm256-sha384-ems", dtls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, dtls.RequireExtendedMasterSecret, dtls.SRTP_AEAD_AES_256_GCM},
		{"cm80-sha256-noems", dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, dtls.DisableExtendedMasterSecret, dtls.SRTP_AES128_CM_HMAC_SHA1_80},
		{"cm80-cbc", dtls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, dtls.RequestExtendedMasterSecret, dtls.SRTP_AES128_CM_HMAC_SHA1_80},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tap := &keyTap{}
			ca, cb := net.Pipe()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			type res struct {
				c   *dtls.Conn
				err error
			}
			srv := make(chan res, 1)
			go func() {
				c, err := dtls.ServerWithOptions(dtlsnet.PacketConnFromConn(cb), cb.RemoteAddr(),
					dtls.WithCertificates(cert), dtls.WithCipherSuites(tc.suite), dtls.WithExtendedMasterSecret(tc.ems),
					dtls.WithSRTPProtectionProfiles(tc.profile), dtls.WithKeyLogWriter(tap), dtls.WithServerHelloMessageHook(tap.serverHello))
				if err == nil {
					err = c.HandshakeContext(ctx)
				}
				srv <- res{c, err}
			}()
			cl, err := dtls.ClientWithOptions(dtlsnet.PacketConnFromConn(ca), ca.RemoteAddr(),
				dtls.WithCertificates(cert), dtls.WithInsecureSkipVerify(true), dtls.WithCipherSuites(tc.suite),
				dtls.WithExtendedMasterSecret(tc.ems), dtls.WithSRTPProtectionProfiles(tc.profile))
			if err != nil {
				t.Fatal(err)
			}
			if err := cl.HandshakeContext(ctx); err != nil {
				t.Fatal(err)
			}
			s := <-srv
			if s.err != nil {
				t.Fatal(s.err)
			}
			defer s.c.Close()
			defer cl.Close()

			got, err := tap.keys()
			if err != nil {
				t.Fatal(err)
			}
			p := srtpx.Profile(tc.profile)
			state, _ := cl.ConnectionState()
			material, err := state.ExportKeyingMaterial(srtpx.ExporterLabel, nil, p.KeyingMaterialLen())
			if err != nil {
				t.Fatal(err)
			}
			// The client's view, swapped: its local keys are our remote ones.
			want, err := srtpx.KeysFromKeyingMaterial(p, material, true)
			if err != nil {
				t.Fatal(err)
			}
			if got.Profile != p || !bytes.Equal(got.LocalKey, want.RemoteKey) || !bytes.Equal(got.LocalSalt, want.RemoteSalt) ||
				!bytes.Equal(got.RemoteKey, want.LocalKey) || !bytes.Equal(got.RemoteSalt, want.LocalSalt) {
				t.Errorf("tapped keys %+v, the exporter gives %+v (swapped)", got, want)
			}
		})
	}
}

// TestKeyTapIncomplete: without our ServerHello (we were the client) or a
// key log line, there are no keys.
func TestKeyTapIncomplete(t *testing.T) {
	tap := &keyTap{}
	if _, err := tap.keys(); err == nil {
		t.Error("keys from an empty tap")
	}
	_, _ = tap.Write([]byte("CLIENT_RANDOM 00 11\n")) // malformed: ignored
	_, _ = tap.Write(append([]byte("CLIENT_RANDOM "), bytes.Repeat([]byte("ab"), 32)...))
	if _, err := tap.keys(); err == nil {
		t.Error("keys without a ServerHello")
	}
	if _, err := prfHash(0xffff); err == nil {
		t.Error("a PRF hash for an unknown suite")
	}
}
