// Package auth holds Gorento's credentials: signed room access tokens
// (JWT, HS256, golang-jwt) carrying an identity, a room and grants; the
// shared secrets of the Kurento Protocol port; the browser Origin policy of
// every WebSocket; and the identity a transport attaches to a connection's
// context for the protocol layers behind it.
package auth
