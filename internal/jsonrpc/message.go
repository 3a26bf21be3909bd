// Package jsonrpc implements JSON-RPC 2.0 framing as spoken by Kurento: one
// JSON object per WebSocket text frame, requests, responses, notifications
// and the exact validation errors of KMS.
package jsonrpc

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Version is the only accepted value of the "jsonrpc" member.
const Version = "2.0"

// Standard JSON-RPC error codes.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternalError  = -32603
	CodeServerError    = -32000
)

// Error is a JSON-RPC error object. It implements the error interface so
// handlers can return it directly.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("jsonrpc error %d: %s", e.Code, e.Message) }

// Errorf builds an Error without data.
func Errorf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Request is a decoded request or notification (HasID false).
type Request struct {
	ID     json.RawMessage
	HasID  bool
	Method string
	Params json.RawMessage // nil when absent
}

// DecodeRequest validates one frame the way KMS does: unparsable text gives
// -32700, anything that is not a request object gives -32600.
func DecodeRequest(frame []byte) (*Request, *Error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(frame, &fields); err != nil {
		var probe any
		if json.Unmarshal(frame, &probe) == nil {
			// Valid JSON but not an object (array, batch, scalar).
			return nil, &Error{Code: CodeInvalidRequest, Message: "Invalid JSON-RPC request."}
		}
		return nil, &Error{Code: CodeParseError, Message: "Parse error."}
	}
	if fields == nil {
		return nil, &Error{Code: CodeInvalidRequest, Message: "Invalid JSON-RPC request."}
	}
	invalid := &Error{Code: CodeInvalidRequest, Message: "Invalid JSON-RPC request."}
	var version string
	if raw, ok := fields["jsonrpc"]; !ok || json.Unmarshal(raw, &version) != nil || version != Version {
		return nil, invalid
	}
	req := &Request{}
	if raw, ok := fields["id"]; ok {
		switch firstByte(raw) {
		case '[', '{':
			return nil, invalid
		}
		req.ID, req.HasID = raw, true
	}
	raw, ok := fields["method"]
	if !ok || json.Unmarshal(raw, &req.Method) != nil {
		return nil, invalid
	}
	if p, ok := fields["params"]; ok && !isNull(p) {
		req.Params = p
	}
	return req, nil
}

func firstByte(raw json.RawMessage) byte {
	b := bytes.TrimLeft(raw, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// Response is a JSON-RPC response. Result is always written when Error is nil,
// even when it is nil (`"result":null`, as KMS answers closeSession).
type Response struct {
	ID     json.RawMessage
	Result any
	Error  *Error
}

var nullID = json.RawMessage("null")

// MarshalJSON writes the response with "id" first, as KMS does.
func (r Response) MarshalJSON() ([]byte, error) {
	id := r.ID
	if len(id) == 0 {
		id = nullID
	}
	if r.Error != nil {
		return json.Marshal(struct {
			ID      json.RawMessage `json:"id"`
			JSONRPC string          `json:"jsonrpc"`
			Error   *Error          `json:"error"`
		}{id, Version, r.Error})
	}
	return json.Marshal(struct {
		ID      json.RawMessage `json:"id"`
		JSONRPC string          `json:"jsonrpc"`
		Result  any             `json:"result"`
	}{id, Version, r.Result})
}

// Notification is a server→client message without id.
type Notification struct {
	Method string
	Params any
}

// MarshalJSON writes the notification.
func (n Notification) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		JSONRPC string `json:"jsonrpc"`
		Method  string `json:"method"`
		Params  any    `json:"params,omitempty"`
	}{Version, n.Method, n.Params})
}

// OutgoingRequest is a client→server request.
type OutgoingRequest struct {
	ID     int64
	Method string
	Params any
}

// MarshalJSON writes the request in the order kurento-client uses.
func (r OutgoingRequest) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		JSONRPC string `json:"jsonrpc"`
		Method  string `json:"method"`
		Params  any    `json:"params,omitempty"`
		ID      int64  `json:"id"`
	}{Version, r.Method, r.Params, r.ID})
}

// Incoming is any message a client receives: a response (ID set) or a
// notification (Method set).
type Incoming struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method,omitempty"`
	Params  json.RawMessage `json:"params,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *Error          `json:"error,omitempty"`
}

// DecodeIncoming parses a frame received by a client. Frames that are not
// JSON-RPC 2.0 are rejected, as kurento-jsonrpc drops them.
func DecodeIncoming(frame []byte) (*Incoming, error) {
	var m Incoming
	if err := json.Unmarshal(frame, &m); err != nil {
		return nil, fmt.Errorf("decode frame: %w", err)
	}
	if m.JSONRPC != Version {
		return nil, fmt.Errorf("decode frame: jsonrpc version %q", m.JSONRPC)
	}
	return &m, nil
}
