package auth

import "errors"

// Token errors. Verify wraps them with detail; test with errors.Is.
var (
	ErrNoToken      = errors.New("no access token")
	ErrTokenExpired = errors.New("access token expired")
	ErrTokenInvalid = errors.New("access token invalid")
	ErrUnknownKey   = errors.New("access token signed with an unknown key")
	ErrWeakSecret   = errors.New("secret too short")
)
