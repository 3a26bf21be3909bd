package httpep

import "errors"

var (
	// ErrTooManyEndpoints: Config.MaxEndpoints endpoints exist.
	ErrTooManyEndpoints = errors.New("httpep: too many HttpPostEndpoints")
	// ErrListen: the HTTP server cannot listen on Config.Listen.
	ErrListen = errors.New("httpep: cannot serve HttpPostEndpoint URLs")
	// ErrUploadTooLarge: an upload exceeded Config.MaxUploadBytes.
	ErrUploadTooLarge = errors.New("httpep: upload too large")
)
