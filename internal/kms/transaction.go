package kms

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gorento/gorento/internal/jsonrpc"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// txOperation is one operation inside a transaction.
type txOperation struct {
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	ID     json.RawMessage `json:"id"`
}

// transaction runs operations in order through the normal dispatcher with
// the transaction's session, replacing "newref:K" strings by the value that
// operation K returned. It stops after the first failing operation.
//
// The frame is parsed once: the operations are split here, each one's
// params are decoded once by newRequest (with the session given, not
// written into them). A transaction inside a transaction is refused (KMS
// has none), so no level of a frame is decoded again by the level above.
func (r *request) transaction() (any, error) {
	raw, ok := r.params["operations"]
	if !ok {
		return nil, errTopLevel("operations", "is required")
	}
	var ops []json.RawMessage
	if err := json.Unmarshal(raw, &ops); err != nil {
		return nil, errTopLevel("operations", "should be an array")
	}
	if max := r.conn.server.cfg.Limits.MaxTransactionOperations; len(ops) > max {
		return nil, errLimit("maxTransactionOperations", max, "A transaction of %d operations", len(ops))
	}
	sess := r.session()
	responses := make([]jsonrpc.Response, 0, len(ops))
	values := make([]any, 0, len(ops))
	for i, rawOp := range ops {
		var op txOperation
		if err := json.Unmarshal(rawOp, &op); err != nil || op.Method == "" {
			return nil, kurentoError(wire.ErrMalformedTransaction, "Invalid operation %d in transaction", i)
		}
		ops[i] = nil // op holds what is needed; let the collector have the rest
		if op.Method == "transaction" {
			return nil, kurentoError(wire.ErrMalformedTransaction, "Invalid operation %d in transaction: a transaction cannot contain a transaction", i)
		}
		var id int
		if err := json.Unmarshal(op.ID, &id); err != nil || id != i {
			return nil, kurentoError(wire.ErrMalformedTransaction, "Id of request '%d' should be '%d'", i, i)
		}
		params, err := resolveNewRefs(op.Params, values)
		if err != nil {
			return nil, err
		}
		resp := jsonrpc.Response{ID: op.ID}
		sub, rerr := newRequest(r.conn, op.Method, params, sess.id)
		var value any
		if rerr != nil {
			resp.Error = rerr
		} else {
			res, herr := sub.dispatch()
			if herr != nil {
				resp.Error = toRPCError(herr, op.Method)
			} else {
				resp.Result = res
				if m, ok := res.(map[string]any); ok {
					value = m["value"]
				}
			}
		}
		responses = append(responses, resp)
		values = append(values, value)
		if resp.Error != nil {
			break
		}
	}
	return map[string]any{"value": responses, "sessionId": sess.id}, nil
}

// resolveNewRefs replaces every "newref:K" string found anywhere in params.
func resolveNewRefs(params json.RawMessage, values []any) (json.RawMessage, error) {
	if len(params) == 0 || !strings.Contains(string(params), "newref:") {
		return params, nil
	}
	var tree any
	if err := json.Unmarshal(params, &tree); err != nil {
		return params, nil
	}
	var walkErr error
	var walk func(v any) any
	walk = func(v any) any {
		switch t := v.(type) {
		case string:
			ref, ok := strings.CutPrefix(t, "newref:")
			if !ok {
				return t
			}
			k, err := strconv.Atoi(ref)
			if err != nil || k < 0 || k >= len(values) || values[k] == nil {
				walkErr = kurentoError(wire.ErrMalformedTransaction, "Cannot resolve reference '%s'", t)
				return t
			}
			return values[k]
		case map[string]any:
			for key, x := range t {
				t[key] = walk(x)
			}
		case []any:
			for i, x := range t {
				t[i] = walk(x)
			}
		}
		return v
	}
	tree = walk(tree)
	if walkErr != nil {
		return nil, walkErr
	}
	b, err := json.Marshal(tree)
	if err != nil {
		return nil, err
	}
	return b, nil
}
