package kms

import (
	"errors"
	"fmt"

	"github.com/gorento/gorento/internal/jsonrpc"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// kurentoError builds a Kurento error: a JSON-RPC error whose data carries
// the KMS error type name.
func kurentoError(code int, format string, args ...any) *jsonrpc.Error {
	return &jsonrpc.Error{Code: code, Message: fmt.Sprintf(format, args...), Data: wire.ErrorData{Type: wire.ErrorType(code)}}
}

func errObjectNotFound(id string) *jsonrpc.Error {
	return kurentoError(wire.ErrObjectNotFound, "Object '%s' not found", id)
}

func errParamRequired(name string) *jsonrpc.Error {
	return kurentoError(wire.ErrMarshall, "'%s' parameter is required", name)
}

func errParamType(name, typ string) *jsonrpc.Error {
	return kurentoError(wire.ErrMarshall, "'%s' parameter should be a %s", name, typ)
}

// errTopLevel is the KMS error for a missing or mistyped top-level param
// (code -32000, no data).
func errTopLevel(name, problem string) *jsonrpc.Error {
	return &jsonrpc.Error{Code: jsonrpc.CodeServerError, Message: fmt.Sprintf("'%s' parameter %s", name, problem)}
}

var errParamsRequired = &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "'params' is required", Data: wire.ErrorData{Type: "INVALID_PARAMS"}}

// toRPCError converts any handler error into the error sent on the wire.
func toRPCError(err error, method string) *jsonrpc.Error {
	var rpcErr *jsonrpc.Error
	if errors.As(err, &rpcErr) {
		return rpcErr
	}
	return &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "Unexpected error while processing method: " + method + ": " + err.Error()}
}
