package auth

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const secretA = "0123456789abcdef0123456789abcdef"

func TestTokens(t *testing.T) {
	keys, err := NewKeys(map[string]string{"app": secretA})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewKeys(map[string]string{"app": strings.Repeat("x", 32)})
	stranger, _ := NewKeys(map[string]string{"other": secretA})
	mint := func(k *Keys, req TokenRequest) string {
		t.Helper()
		tok, _, err := k.Mint(req)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := TokenRequest{Identity: "alice", Room: "lobby", Grants: ParticipantGrants, TTL: time.Hour}
	past := *keys
	past.now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, Claims{Room: "lobby",
		RegisteredClaims: jwt.RegisteredClaims{Issuer: "app", Subject: "alice", ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}}).
		SignedString(jwt.UnsafeAllowNoneSignatureType)
	valid := mint(keys, good)
	tampered := valid[:len(valid)-3] + "AAA"
	tests := []struct {
		name   string
		token  string
		want   error
		claims bool // claims returned
	}{
		{"valid", valid, nil, true},
		{"missing", "", ErrNoToken, false},
		{"garbage", "not.a.jwt", ErrTokenInvalid, false},
		{"expired", mint(&past, good), ErrTokenExpired, true},
		{"other secret", mint(other, good), ErrTokenInvalid, false},
		{"unknown key", mint(stranger, good), ErrUnknownKey, false},
		{"tampered", tampered, ErrTokenInvalid, false},
		{"alg none", none, ErrTokenInvalid, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := keys.Verify(tt.token)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if (c != nil) != tt.claims {
				t.Fatalf("claims = %+v", c)
			}
			if c != nil && (c.Identity() != "alice" || !c.AllowsRoom("lobby") || c.AllowsRoom("other") || !c.Grants.Publish || c.Grants.RoomAdmin) {
				t.Fatalf("claims = %+v", c)
			}
		})
	}
	if _, err := NewKeys(map[string]string{"k": "short"}); !errors.Is(err, ErrWeakSecret) {
		t.Errorf("short secret accepted: %v", err)
	}
	if _, _, err := keys.Mint(TokenRequest{Room: "x", TTL: time.Hour, Grants: Grants{Join: true}}); err == nil {
		t.Error("participant token without identity minted")
	}
	admin := mint(keys, TokenRequest{Room: AnyRoom, Grants: Grants{RoomAdmin: true}, TTL: time.Minute})
	if c, err := keys.Verify(admin); err != nil || !c.Grants.RoomAdmin || !c.AllowsRoom("anything") {
		t.Errorf("admin token: %+v %v", c, err)
	}
}

func TestSecrets(t *testing.T) {
	s := NewSecrets(map[string]string{"default": "s3cret-s3cret-s3", "app2": "another-secret-16"})
	tests := []struct {
		name, url, header string
		user, pass        string
		want              string // credential name, "" = refused
	}{
		{"query", "/kurento?access_token=s3cret-s3cret-s3", "", "", "", "default"},
		{"second credential", "/kurento?access_token=another-secret-16", "", "", "", "app2"},
		{"bearer", "/kurento", "Bearer s3cret-s3cret-s3", "", "", "default"},
		{"basic", "/kurento", "", "kms", "another-secret-16", "app2"},
		{"wrong", "/kurento?access_token=nope", "", "", "", ""},
		{"prefix", "/kurento?access_token=s3cret", "", "", "", ""},
		{"missing", "/kurento", "", "", "", ""},
		{"wrong bearer", "/kurento", "Bearer s3cret-s3cret-s4", "", "", ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", tt.url, nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		if tt.user != "" {
			r.SetBasicAuth(tt.user, tt.pass)
		}
		name, ok := s.Check(r)
		if name != tt.want || ok != (tt.want != "") {
			t.Errorf("%s: got %q %v, want %q", tt.name, name, ok, tt.want)
		}
	}
	if NewSecrets(nil) != nil {
		t.Error("no secrets must mean an open port (nil)")
	}
}

func TestOriginPolicy(t *testing.T) {
	p, err := NewOriginPolicy([]string{"https://app.example.com", "http://127.0.0.1:8080"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host, origin string
		want         bool
	}{
		{"127.0.0.1:8443", "", true},                        // not a browser
		{"127.0.0.1:8443", "https://127.0.0.1:8443", true},  // same origin
		{"LOCALHOST:8443", "https://localhost:8443", true},  // case
		{"127.0.0.1:8443", "http://127.0.0.1:9999", false},  // another port is another origin
		{"127.0.0.1:8888", "http://evil.example", false},    // foreign site
		{"127.0.0.1:8888", "https://app.example.com", true}, // listed
		{"127.0.0.1:8888", "https://APP.example.com:443", true},
		{"127.0.0.1:8888", "http://127.0.0.1:8080", true},
		{"127.0.0.1:8888", "null", false},
		{"127.0.0.1:8888", "%%%", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/kurento", nil)
		r.Host = tt.host
		if tt.origin != "" {
			r.Header.Set("Origin", tt.origin)
		}
		if got := p.Allowed(r); got != tt.want {
			t.Errorf("host %s origin %q: %v, want %v", tt.host, tt.origin, got, tt.want)
		}
	}
	if _, err := NewOriginPolicy([]string{"app.example.com"}); err == nil {
		t.Error("origin without scheme accepted")
	}
	all, _ := NewOriginPolicy([]string{"*"})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Origin", "http://evil.example")
	if !all.Allowed(r) {
		t.Error("* must allow every origin")
	}
}
