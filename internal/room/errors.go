// Package room is a Kurento Room server: rooms of participants who publish
// their camera and subscribe to each other's, chat and send custom
// requests, over the Kurento Room JSON-RPC protocol that KurentoRoom.js
// speaks. It drives media servers only through the Kurento Protocol client
// (pkg/kurento), so it works with the embedded media server, other gorento
// processes or a real Kurento Media Server.
package room

import (
	"fmt"

	"github.com/gorento/gorento/internal/jsonrpc"
)

// Kurento Room error codes (RoomException.Code).
const (
	CodeUserNotFound        = 102
	CodeUserClosed          = 103
	CodeExistingUser        = 104
	CodeUserNotStreaming    = 105
	CodeRoomNotFound        = 202
	CodeRoomClosed          = 203
	CodeRoomCannotBeCreated = 204
	CodeMediaSDP            = 302
	CodeMediaEndpoint       = 303
	CodeMediaWebRtcEndpoint = 304
	CodeGeneric             = 999
	// CodeUnexpected is the code upstream gives errors that are not room
	// errors (bad params, media server failures, custom requests).
	CodeUnexpected = -1
)

func roomError(code int, format string, args ...any) *jsonrpc.Error {
	return &jsonrpc.Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
