package srtpx

import "fmt"

// ExporterLabel is the TLS exporter label of DTLS-SRTP keying material
// (RFC 5764 §4.2).
const ExporterLabel = "EXTRACTOR-dtls_srtp"

// Keys are the master keys and salts of both directions of a DTLS-SRTP
// association, from this side's point of view.
type Keys struct {
	Profile               Profile
	LocalKey, LocalSalt   []byte // protects what we send
	RemoteKey, RemoteSalt []byte // unprotects what we receive
}

// KeyingMaterialLen is the number of bytes to export with ExporterLabel for
// the profile: two master keys and two master salts.
func (p Profile) KeyingMaterialLen() int { return 2 * (p.KeyLen() + p.SaltLen()) }

// KeysFromKeyingMaterial splits exported DTLS-SRTP keying material
// (client key, server key, client salt, server salt; RFC 5764 §4.2) into
// this side's keys. isClient says whether we were the DTLS client.
func KeysFromKeyingMaterial(p Profile, material []byte, isClient bool) (Keys, error) {
	if !p.Supported() {
		return Keys{}, fmt.Errorf("%w: %v", ErrProfile, p)
	}
	if len(material) != p.KeyingMaterialLen() {
		return Keys{}, fmt.Errorf("%w: %d bytes of keying material for %v, want %d",
			ErrKeyLength, len(material), p, p.KeyingMaterialLen())
	}
	kl, sl := p.KeyLen(), p.SaltLen()
	m := append([]byte(nil), material...) // the caller may wipe its copy
	clientKey, serverKey := m[:kl], m[kl:2*kl]
	clientSalt, serverSalt := m[2*kl:2*kl+sl], m[2*kl+sl:]
	if isClient {
		return Keys{p, clientKey, clientSalt, serverKey, serverSalt}, nil
	}
	return Keys{p, serverKey, serverSalt, clientKey, clientSalt}, nil
}

// Sessions derives the local (protect) and remote (unprotect) sessions.
func (k Keys) Sessions(opts ...Option) (local, remote *Session, err error) {
	if local, err = NewSession(k.Profile, k.LocalKey, k.LocalSalt, opts...); err != nil {
		return nil, nil, fmt.Errorf("local: %w", err)
	}
	if remote, err = NewSession(k.Profile, k.RemoteKey, k.RemoteSalt, opts...); err != nil {
		return nil, nil, fmt.Errorf("remote: %w", err)
	}
	return local, remote, nil
}
