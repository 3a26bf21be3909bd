package app

import (
	"testing"

	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/internal/testutil"
)

// TestKurentoCredentialScoping: through the real guard, two Kurento
// credentials see only their own sessions and pipelines; on a port without
// credentials every client sees everything, as with KMS.
func TestKurentoCredentialScoping(t *testing.T) {
	leakCheck(t)
	const alice, bob = "alice-secret-0123456789", "bob-secret-0123456789ab"
	const manager = "manager_ServerManager"
	for _, scoped := range []bool{true, false} {
		a := start(t, func(c *config.Config) {
			if scoped {
				c.Auth.KurentoSecrets = map[string]string{"alice": alice, "bob": bob}
			}
		})
		dial := func(secret string) (*testutil.RawClient, string) {
			c := testutil.DialRaw(t, a.wsURL("kurento", "/kurento?access_token="+secret))
			r := testutil.Result(t, c.Call("describe", map[string]any{"object": manager}))
			return c, r["sessionId"].(string)
		}
		ca, sa := dial(alice)
		cb, _ := dial(bob)
		testutil.Result(t, ca.Call("create", map[string]any{"type": "MediaPipeline"}))
		pipes := testutil.Result(t, cb.Call("invoke", map[string]any{"object": manager, "operation": "getPipelines"}))["value"].([]any)
		sessions := testutil.Result(t, cb.Call("invoke", map[string]any{"object": manager, "operation": "getSessions"}))["value"].([]any)
		connect := cb.Call("connect", map[string]any{"sessionId": sa})
		if scoped {
			if len(pipes) != 0 || len(sessions) != 1 {
				t.Errorf("bob sees pipelines %v and sessions %v of alice", pipes, sessions)
			}
			if e := testutil.ErrorOf(t, connect); e["code"] != float64(40007) {
				t.Errorf("bob's connect to alice's session: %v", e)
			}
		} else {
			if len(pipes) != 1 || !contains(sessions, sa) {
				t.Errorf("open port: pipelines %v, sessions %v, want everything", pipes, sessions)
			}
			testutil.Result(t, connect)
		}
		ca.Close()
		cb.Close()
		a.Close()
	}
}

func contains(list []any, v any) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
