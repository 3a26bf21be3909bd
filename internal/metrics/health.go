package metrics

import (
	"encoding/json"
	"net/http"
	"sort"
	"sync"
)

// Health answers /healthz (the process serves) and /readyz (it should get
// traffic: every readiness check passes).
type Health struct {
	mu     sync.Mutex // guards checks
	checks map[string]func() error
}

// NewHealth returns a health endpoint with no readiness check yet.
func NewHealth() *Health { return &Health{checks: map[string]func() error{}} }

// AddCheck adds a readiness check; it must be quick (it runs per request).
func (h *Health) AddCheck(name string, check func() error) {
	h.mu.Lock()
	h.checks[name] = check
	h.mu.Unlock()
}

// Ready runs the checks and returns their results by name ("ok" or the error).
func (h *Health) Ready() (bool, map[string]string) {
	h.mu.Lock()
	names := make([]string, 0, len(h.checks))
	for n := range h.checks {
		names = append(names, n)
	}
	checks := make([]func() error, 0, len(names))
	sort.Strings(names)
	for _, n := range names {
		checks = append(checks, h.checks[n])
	}
	h.mu.Unlock()
	ok, out := true, map[string]string{}
	for i, check := range checks {
		if err := check(); err != nil {
			ok = false
			out[names[i]] = err.Error()
		} else {
			out[names[i]] = "ok"
		}
	}
	return ok, out
}

// Live serves /healthz.
func (h *Health) Live() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})
}

// Readiness serves /readyz: 200 when ready, 503 with the failing checks.
func (h *Health) Readiness() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, checks := h.Ready()
		status, code := "ok", http.StatusOK
		if !ok {
			status, code = "unavailable", http.StatusServiceUnavailable
		}
		writeJSON(w, code, map[string]any{"status": status, "checks": checks})
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
