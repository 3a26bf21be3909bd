package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MinKeyBytes is the shortest accepted HMAC signing secret.
const MinKeyBytes = 32

// AnyRoom in a token's room claim grants the token for every room.
const AnyRoom = "*"

// Grants are what a room token allows.
type Grants struct {
	Join        bool `json:"join,omitempty"`
	Publish     bool `json:"publish,omitempty"`
	Subscribe   bool `json:"subscribe,omitempty"`
	SendMessage bool `json:"sendMessage,omitempty"`
	RoomAdmin   bool `json:"roomAdmin,omitempty"`
}

// ParticipantGrants is what a participant usually gets: everything but admin.
var ParticipantGrants = Grants{Join: true, Publish: true, Subscribe: true, SendMessage: true}

// Claims are a room token's contents. The registered claims hold the key
// ("iss"), the identity ("sub", the user name in the room) and validity.
type Claims struct {
	jwt.RegisteredClaims
	Room   string `json:"room,omitempty"`
	Grants Grants `json:"grants"`
}

// Identity is the user the token was issued to.
func (c *Claims) Identity() string { return c.Subject }

// AllowsRoom reports whether the token is valid for the room.
func (c *Claims) AllowsRoom(room string) bool { return c.Room == AnyRoom || c.Room == room }

// TokenRequest describes a token to mint.
type TokenRequest struct {
	Identity string
	Room     string // a room name, or AnyRoom
	Grants   Grants
	TTL      time.Duration
}

// Keys sign and verify room tokens: key id ("iss") → HMAC secret.
type Keys struct {
	secrets map[string][]byte
	ids     []string // sorted; ids[0] signs when no key is named
	now     func() time.Time
}

// NewKeys checks and holds the signing keys.
func NewKeys(keys map[string]string) (*Keys, error) {
	if len(keys) == 0 {
		return nil, errors.New("auth: no signing key")
	}
	k := &Keys{secrets: map[string][]byte{}, now: time.Now}
	for id, secret := range keys {
		if len(secret) < MinKeyBytes {
			return nil, fmt.Errorf("auth: key %q: %w (want %d bytes)", id, ErrWeakSecret, MinKeyBytes)
		}
		k.secrets[id] = []byte(secret)
		k.ids = append(k.ids, id)
	}
	sort.Strings(k.ids)
	return k, nil
}

// NewDevKeys returns one random key that lives as long as the process: the
// development mode's tokens are valid until the server restarts.
func NewDevKeys() *Keys {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	k, _ := NewKeys(map[string]string{"dev": base64.RawURLEncoding.EncodeToString(b)})
	return k
}

// Mint signs a token with the first key (by name).
func (k *Keys) Mint(req TokenRequest) (string, time.Time, error) {
	return k.MintWith(k.ids[0], req)
}

// MintWith signs a token with the named key.
func (k *Keys) MintWith(keyID string, req TokenRequest) (string, time.Time, error) {
	secret, ok := k.secrets[keyID]
	if !ok {
		return "", time.Time{}, fmt.Errorf("auth: %w: %q", ErrUnknownKey, keyID)
	}
	if req.Identity == "" && !req.Grants.RoomAdmin {
		return "", time.Time{}, errors.New("auth: a participant token needs an identity")
	}
	if req.Room == "" {
		return "", time.Time{}, errors.New("auth: a token needs a room (or \"*\" for every room)")
	}
	if req.TTL <= 0 {
		return "", time.Time{}, errors.New("auth: a token needs a positive lifetime")
	}
	now := k.now()
	exp := now.Add(req.TTL)
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: keyID, Subject: req.Identity,
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-leeway)), ExpiresAt: jwt.NewNumericDate(exp)},
		Room: req.Room, Grants: req.Grants,
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: signing: %w", err)
	}
	return s, exp, nil
}

// leeway tolerates clock skew between the minting app server and us.
const leeway = 30 * time.Second

// Verify checks a token's signature and validity. When only the validity
// period fails (ErrTokenExpired), the claims are returned too: their
// signature is good (a reconnecting session may still prove its identity).
func (k *Keys) Verify(token string) (*Claims, error) {
	if token == "" {
		return nil, ErrNoToken
	}
	claims := &Claims{}
	_, err := jwt.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		secret, ok := k.secrets[claims.Issuer]
		if !ok {
			return nil, fmt.Errorf("%w: %q", ErrUnknownKey, claims.Issuer)
		}
		return secret, nil
	}, jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Name}), jwt.WithExpirationRequired(),
		jwt.WithLeeway(leeway), jwt.WithTimeFunc(k.now))
	switch {
	case err == nil:
		return claims, nil
	case errors.Is(err, ErrUnknownKey):
		return nil, ErrUnknownKey
	case errors.Is(err, jwt.ErrTokenExpired) || errors.Is(err, jwt.ErrTokenNotValidYet):
		if errors.Is(err, jwt.ErrTokenSignatureInvalid) {
			return nil, ErrTokenInvalid
		}
		return claims, fmt.Errorf("%w (%v)", ErrTokenExpired, err)
	default:
		return nil, fmt.Errorf("%w: %v", ErrTokenInvalid, err)
	}
}
