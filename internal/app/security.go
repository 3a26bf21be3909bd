package app

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gorento/gorento/internal/auth"
)

// setupSecurity builds the credentials and the Origin policy, and says
// loudly what is open.
func (a *App) setupSecurity() error {
	cfg := a.cfg
	origins, err := auth.NewOriginPolicy(cfg.Auth.AllowedOrigins)
	if err != nil {
		return err
	}
	a.origins = origins
	if len(cfg.Auth.Keys) > 0 {
		if a.roomKeys, err = auth.NewKeys(cfg.Auth.Keys); err != nil {
			return err
		}
	}
	if open := cfg.InsecureListeners(); len(open) > 0 {
		if cfg.Auth.RequireCredentials {
			return fmt.Errorf("auth.requireCredentials: these listeners are reachable beyond this host without credentials: %s "+
				"(set auth.keys and auth.kurentoSecret, or listen on 127.0.0.1)", strings.Join(open, ", "))
		}
		a.log.Warn("listening beyond this host without credentials: anyone who reaches these ports can use them "+
			"(set auth.keys and auth.kurentoSecret, see docs/security.md)", "listeners", strings.Join(open, ", "))
	}
	if cfg.Auth.DevMode() {
		a.log.Warn("************************************************************************")
		a.log.Warn("DEVELOPMENT MODE: no credentials are configured. The Kurento port is open,")
		a.log.Warn("rooms accept joins without a token, the room API needs no admin token and")
		a.log.Warn("the demos get their tokens from the server. Configure auth.keys and")
		a.log.Warn("auth.kurentoSecret before exposing gorento (docs/security.md).")
		a.log.Warn("************************************************************************")
		return nil
	}
	if len(cfg.Auth.KurentoCredentials()) == 0 {
		a.log.Warn("the Kurento port accepts clients without a secret (auth.kurentoSecret is not set)")
	}
	if a.roomKeys == nil && cfg.Room.Path != "" {
		a.log.Warn("rooms accept joins without a token and the room API is open (auth.keys is not set)")
	}
	return nil
}

// kurentoHandler is the Kurento Protocol server behind its guard.
func (a *App) kurentoHandler() http.Handler {
	return a.guard("kurento", a.kurentoAddrs, auth.NewSecrets(a.cfg.Auth.KurentoCredentials()), a.KMS)
}

func (a *App) guard(endpoint string, addrs *addrLimiter, secrets *auth.Secrets, next http.Handler) http.Handler {
	return &wsGuard{endpoint: endpoint, origins: a.origins, secrets: secrets, addrs: addrs, draining: &a.draining,
		conns: a.Metrics.Conns(), log: a.log, next: next}
}
