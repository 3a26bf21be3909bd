package kms

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/gorento/gorento/internal/testutil"
)

// TestPanicInRequestIsAnError: a request whose handler panics gets an
// UNEXPECTED_ERROR answer, the stack is logged, and the server goes on
// serving the connection (top-level and inside a transaction).
func TestPanicInRequestIsAnError(t *testing.T) {
	logs := &testutil.LockedBuffer{}
	s, err := New(Config{}, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	boom := &Class{Name: "Boom", Parent: classMediaObject, Module: "core",
		Constructor: constructor(func(cc *createCall, _ none) error {
			cc.newObject(nil)
			return nil
		}),
		Methods: []*Method{method("explode", "", func(*call, none) (any, error) {
			panic("a bug")
		})},
	}
	s.classes = newClassRegistry(append(append([]*Class{}, registered...), boom)...)
	rec := &recorder{}
	c := &connState{server: s, conn: rec}
	call := func(frame string) map[string]any { return answer(t, c, rec, frame) }
	created := call(`{"jsonrpc":"2.0","id":1,"method":"create","params":{"type":"Boom"}}`)
	id, _ := created["result"].(map[string]any)["value"].(string)
	if id == "" {
		t.Fatalf("create: %v", created)
	}
	resp := call(`{"jsonrpc":"2.0","id":2,"method":"invoke","params":{"object":"` + id + `","operation":"explode"}}`)
	e, _ := resp["error"].(map[string]any)
	if e == nil || e["code"] != float64(40003) || !strings.Contains(e["message"].(string), "Internal error") {
		t.Errorf("panicking invoke answered %v", resp)
	}
	tx := call(`{"jsonrpc":"2.0","id":3,"method":"transaction","params":{"operations":[` +
		`{"jsonrpc":"2.0","id":0,"method":"invoke","params":{"object":"` + id + `","operation":"explode"}}]}}`)
	ops, _ := tx["result"].(map[string]any)["value"].([]any)
	if len(ops) != 1 || ops[0].(map[string]any)["error"] == nil {
		t.Errorf("panicking operation in a transaction answered %v", tx)
	}
	if pong := call(`{"jsonrpc":"2.0","id":4,"method":"ping"}`); pong["result"] == nil {
		t.Errorf("after the panics, ping answered %v", pong)
	}
	if l := logs.String(); strings.Count(l, "panic while handling a request") != 2 || !strings.Contains(l, "recover_test.go") {
		t.Errorf("panics not logged with their stack:\n%s", l)
	}
}
