package kurento

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ErrClosed is returned by calls on a closed client.
var ErrClosed = errors.New("kurento: client closed")

// ErrConnectionLost fails the calls that were pending when the connection
// dropped; they may or may not have been executed by the server.
var ErrConnectionLost = errors.New("kurento: connection lost")

// Error is an error answered by the media server.
type Error struct {
	Code    int
	Message string
	// Type is the Kurento error type (data.type), e.g. "MEDIA_OBJECT_NOT_FOUND".
	Type string
	// Data is the raw error data.
	Data json.RawMessage
}

func (e *Error) Error() string {
	if e.Type != "" {
		return fmt.Sprintf("kurento: %s (%d %s)", e.Message, e.Code, e.Type)
	}
	return fmt.Sprintf("kurento: %s (%d)", e.Message, e.Code)
}

// IsCode reports whether err is a server error with the given code.
func IsCode(err error, code int) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
