package app

import (
	"errors"
	"net/http"

	"github.com/gorento/gorento/internal/auth"
	"github.com/gorento/gorento/internal/kms"
	"github.com/gorento/gorento/internal/metrics"
)

// kmsStats reads the Kurento Protocol server's counters for the metrics.
type kmsStats struct{ s *kms.Server }

func (k kmsStats) KurentoStats() metrics.KurentoStats {
	s := k.s.Metrics().Snapshot()
	return metrics.KurentoStats{Connections: s.Connections, Sessions: s.Sessions, Requests: s.Requests,
		RequestErrors: s.RequestErrors, EventsSent: s.EventsSent, Objects: s.Objects}
}

// withObservability serves /metrics, /healthz and /readyz in front of h.
// With protect, /metrics needs an admin token (it shares a public port).
func (a *App) withObservability(h http.Handler, protect bool) http.Handler {
	a.health.AddCheck("draining", func() error {
		if a.draining.Load() {
			return errors.New("shutting down")
		}
		return nil
	})
	mux := http.NewServeMux()
	m := a.Metrics.Handler()
	if protect {
		m = a.requireAdmin(m)
	}
	mux.Handle("GET /metrics", m)
	mux.Handle("GET /healthz", a.health.Live())
	mux.Handle("GET /readyz", a.health.Readiness())
	mux.Handle("/", h)
	return mux
}

// requireAdmin lets through requests with a room admin token for every room.
func (a *App) requireAdmin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cl, err := a.roomKeys.Verify(auth.BearerToken(r))
		if err != nil || !cl.Grants.RoomAdmin || cl.Room != auth.AnyRoom {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gorento metrics"`)
			http.Error(w, "an admin token is required (Authorization: Bearer <token>, or metrics.listen on a private address)", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
