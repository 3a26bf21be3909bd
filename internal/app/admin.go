package app

import (
	"encoding/json"
	"net"
	"net/http"
	"time"

	"github.com/gorento/gorento/internal/auth"
	"github.com/gorento/gorento/internal/kms"
	"github.com/gorento/gorento/internal/room"
)

// The admin API behind the admin console (web/static/admin), on the web
// listener under /admin/api/:
//
//	GET    /admin/api/overview                               server, pipelines (graph, states, stream counters), sessions, rooms
//	GET    /admin/api/pipelines/{id}                         one pipeline, its DOT and its last events
//	DELETE /admin/api/pipelines/{id}                         release it
//	DELETE /admin/api/rooms/{name}                           close a room (participants get roomClosed)
//	DELETE /admin/api/rooms/{name}/participants/{user}       evict a participant
//
// Every call needs an admin token (Authorization: Bearer, roomAdmin for
// every room: gorento token -admin). Without auth.keys no token can exist:
// the API then answers clients on loopback only. Browsers may change state
// only from an allowed origin.

// adminOverview is the answer of GET /admin/api/overview.
type adminOverview struct {
	Version   string             `json:"version"`
	ServerID  string             `json:"serverId"`
	Started   time.Time          `json:"started"`
	DevMode   bool               `json:"devMode"`
	Pipelines []kms.PipelineView `json:"pipelines"`
	Sessions  []kms.SessionView  `json:"sessions"`
	Rooms     []room.RoomInfo    `json:"rooms"`
}

func (a *App) adminAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/api/overview", func(w http.ResponseWriter, r *http.Request) {
		o := adminOverview{Version: Version, ServerID: a.KMS.ServerID(), Started: a.started, DevMode: a.cfg.Auth.DevMode(),
			Pipelines: a.KMS.Pipelines(), Sessions: a.KMS.Sessions(), Rooms: []room.RoomInfo{}}
		if o.Pipelines == nil {
			o.Pipelines = []kms.PipelineView{}
		}
		if a.Room != nil {
			o.Rooms = a.Room.Rooms()
		}
		adminJSON(w, http.StatusOK, o)
	})
	mux.HandleFunc("GET /admin/api/pipelines/{id}", func(w http.ResponseWriter, r *http.Request) {
		p, ok := a.KMS.Pipeline(r.PathValue("id"))
		if !ok {
			adminJSON(w, http.StatusNotFound, map[string]string{"error": "no pipeline " + r.PathValue("id")})
			return
		}
		adminJSON(w, http.StatusOK, map[string]any{"pipeline": p, "dot": a.KMS.Dot(p.ID), "events": a.KMS.Events(p.ID)})
	})
	mux.HandleFunc("DELETE /admin/api/pipelines/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !a.KMS.ReleasePipeline(r.PathValue("id")) {
			adminJSON(w, http.StatusNotFound, map[string]string{"error": "no pipeline " + r.PathValue("id")})
			return
		}
		adminJSON(w, http.StatusOK, map[string]string{"released": r.PathValue("id")})
	})
	mux.HandleFunc("DELETE /admin/api/rooms/{name}", func(w http.ResponseWriter, r *http.Request) {
		if a.Room == nil || !a.Room.CloseRoom(r.Context(), r.PathValue("name")) {
			adminJSON(w, http.StatusNotFound, map[string]string{"error": "no room " + r.PathValue("name")})
			return
		}
		adminJSON(w, http.StatusOK, map[string]string{"closed": r.PathValue("name")})
	})
	mux.HandleFunc("DELETE /admin/api/rooms/{name}/participants/{user}", func(w http.ResponseWriter, r *http.Request) {
		if a.Room == nil || !a.Room.Evict(r.PathValue("name"), r.PathValue("user")) {
			adminJSON(w, http.StatusNotFound, map[string]string{"error": "no participant " + r.PathValue("user") + " in " + r.PathValue("name")})
			return
		}
		adminJSON(w, http.StatusOK, map[string]string{"evicted": r.PathValue("user")})
	})
	return a.adminOnly(mux)
}

// adminOnly admits admin API calls: an allowed origin for state changes,
// and an admin token (or, without auth.keys, a loopback client).
func (a *App) adminOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !a.origins.Allowed(r) {
			adminJSON(w, http.StatusForbidden, map[string]string{"error": "origin not allowed: " + r.Header.Get("Origin")})
			return
		}
		if a.roomKeys == nil {
			if ip := net.ParseIP(remoteIP(r)); ip == nil || !ip.IsLoopback() {
				adminJSON(w, http.StatusForbidden, map[string]string{"error": "without auth.keys the admin API answers only on loopback: " +
					"configure auth.keys and use an admin token (gorento token -admin)"})
				return
			}
		} else if cl, err := a.roomKeys.Verify(auth.BearerToken(r)); err != nil || !cl.Grants.RoomAdmin || cl.Room != auth.AnyRoom {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gorento admin"`)
			adminJSON(w, http.StatusUnauthorized, map[string]string{"error": "an admin token is required (Authorization: Bearer <token>; gorento token -admin)"})
			return
		}
		h.ServeHTTP(w, r)
	})
}

func adminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
