package auth

import "context"

// Identity is who a transport authenticated a connection as: the name of
// the Kurento credential it presented. The protocol layer behind the
// transport reads it from the request context to scope what the
// connection may see (e.g. getSessions and connect limited to sessions of
// the same credential).
type Identity struct {
	// Credential is the credential name ("default" for kurento.secret).
	Credential string
}

type identityKey struct{}

// WithIdentity attaches an identity to a connection's context.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFrom returns the identity a transport attached; false when the
// connection was not authenticated (the port is open).
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}
