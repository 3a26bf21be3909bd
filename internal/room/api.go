package room

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gorento/gorento/internal/auth"
)

// APIHandler serves the room server's HTTP API under prefix (e.g.
// "/room/api"). Every endpoint needs an admin token (Authorization:
// Bearer, grant roomAdmin) unless the server runs in development mode;
// state changes are POST or DELETE only, and browsers may send them only
// from an allowed origin.
//
//	GET    {prefix}/rooms                            rooms with their participants and publishers
//	GET    {prefix}/stats                            room, participant and media server counts
//	POST   {prefix}/rooms/{name}/close               close a room (its participants get roomClosed)
//	DELETE {prefix}/rooms/{name}                     the same
//	DELETE {prefix}/rooms/{name}/participants/{user} evict a participant
//	POST   {prefix}/tokens                           mint an access token (for app servers)
//
// and upstream's GET /getAllRooms; upstream's GET /close?room=NAME only
// with Config.LegacyCloseGET.
func (s *Server) APIHandler(prefix string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+prefix+"/rooms", s.admin(auth.AnyRoom, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Rooms())
	}))
	mux.HandleFunc("GET "+prefix+"/stats", s.admin(auth.AnyRoom, func(w http.ResponseWriter, r *http.Request) {
		st := s.RoomStats()
		writeJSON(w, http.StatusOK, map[string]any{"rooms": st.Rooms, "participants": st.Participants,
			"publishers": st.Publishers, "mediaServers": s.pool.loads()})
	}))
	closeRoom := func(w http.ResponseWriter, r *http.Request) { s.closeRoomHTTP(w, r, r.PathValue("name")) }
	mux.HandleFunc("POST "+prefix+"/rooms/{name}/close", s.admin("{name}", closeRoom))
	mux.HandleFunc("DELETE "+prefix+"/rooms/{name}", s.admin("{name}", closeRoom))
	mux.HandleFunc("DELETE "+prefix+"/rooms/{name}/participants/{user}", s.admin("{name}", s.evictHTTP))
	mux.HandleFunc("POST "+prefix+"/tokens", s.admin(auth.AnyRoom, s.mintHTTP))
	mux.HandleFunc("GET /getAllRooms", s.admin(auth.AnyRoom, func(w http.ResponseWriter, r *http.Request) {
		names := []string{}
		for _, room := range s.Rooms() {
			names = append(names, room.Name)
		}
		writeJSON(w, http.StatusOK, names)
	}))
	mux.HandleFunc("GET /close", func(w http.ResponseWriter, r *http.Request) {
		if !s.cfg.LegacyCloseGET {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "closing a room by GET is disabled: use POST " +
				prefix + "/rooms/{name}/close (or enable auth.legacyCloseGet)"})
			return
		}
		name := r.URL.Query().Get("room")
		s.admin(name, func(w http.ResponseWriter, r *http.Request) { s.closeRoomHTTP(w, r, name) })(w, r)
	})
	return mux
}

// admin wraps a handler with the API's checks: the origin of browser
// requests that change state, and, outside development mode, an admin
// token for room ("{name}": the room in the path; auth.AnyRoom: every room).
func (s *Server) admin(room string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && !s.cfg.Origins.Allowed(r) {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "origin not allowed: " + r.Header.Get("Origin")})
			return
		}
		if !s.cfg.DevMode {
			if room == "{name}" {
				room = r.PathValue("name")
			}
			if status, err := s.checkAdmin(r, room); err != nil {
				if status == http.StatusUnauthorized {
					w.Header().Set("WWW-Authenticate", `Bearer realm="gorento room API"`)
				}
				writeJSON(w, status, map[string]string{"error": err.Error()})
				return
			}
		}
		h(w, r)
	}
}

func (s *Server) checkAdmin(r *http.Request, room string) (int, error) {
	tok := auth.BearerToken(r)
	if tok == "" {
		return http.StatusUnauthorized, errors.New("an admin token is required (Authorization: Bearer <token>)")
	}
	cl, err := s.cfg.Keys.Verify(tok)
	if err != nil {
		return http.StatusUnauthorized, err
	}
	switch {
	case !cl.Grants.RoomAdmin:
		return http.StatusForbidden, errors.New("the token does not grant roomAdmin")
	case room == auth.AnyRoom && cl.Room != auth.AnyRoom:
		return http.StatusForbidden, fmt.Errorf("the token administers room '%s' only", cl.Room)
	case !cl.AllowsRoom(room):
		return http.StatusForbidden, fmt.Errorf("the token administers room '%s', not '%s'", cl.Room, room)
	}
	return 0, nil
}

func (s *Server) closeRoomHTTP(w http.ResponseWriter, r *http.Request, name string) {
	if name == "" || !s.CloseRoom(r.Context(), name) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no room named " + name})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"closed": name})
}

func (s *Server) evictHTTP(w http.ResponseWriter, r *http.Request) {
	room, user := r.PathValue("name"), r.PathValue("user")
	if !s.Evict(room, user) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no participant '%s' in room '%s'", user, room)})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"evicted": user, "room": room})
}

// TokenRequest is the body of POST {prefix}/tokens.
type TokenRequest struct {
	Identity string       `json:"identity"`
	Room     string       `json:"room"`
	Grants   *auth.Grants `json:"grants,omitempty"` // default: join, publish, subscribe, sendMessage
	TTL      string       `json:"ttl,omitempty"`    // Go duration, default the server's token TTL
}

// TokenResponse is the answer of POST {prefix}/tokens.
type TokenResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
	Identity  string    `json:"identity"`
	Room      string    `json:"room"`
}

func (s *Server) mintHTTP(w http.ResponseWriter, r *http.Request) {
	var req TokenRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be JSON {identity, room, grants?, ttl?}: " + err.Error()})
		return
	}
	tok, err := s.MintToken(req)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, tok)
}

// MintToken signs an access token after checking its names and lifetime.
func (s *Server) MintToken(req TokenRequest) (TokenResponse, error) {
	grants := auth.ParticipantGrants
	if req.Grants != nil {
		grants = *req.Grants
	}
	if req.Identity != "" || !grants.RoomAdmin {
		if err := s.cfg.UserNames.Check(req.Identity); err != nil {
			return TokenResponse{}, err
		}
	}
	if req.Room != auth.AnyRoom {
		if err := s.cfg.RoomNames.Check(req.Room); err != nil {
			return TokenResponse{}, err
		}
	}
	ttl := s.cfg.TokenTTL
	if req.TTL != "" {
		d, err := time.ParseDuration(req.TTL)
		if err != nil || d <= 0 || d > 30*24*time.Hour {
			return TokenResponse{}, fmt.Errorf("ttl %q: want a duration up to 720h", req.TTL)
		}
		ttl = d
	}
	tok, exp, err := s.cfg.Keys.Mint(auth.TokenRequest{Identity: req.Identity, Room: req.Room, Grants: grants, TTL: ttl})
	if err != nil {
		return TokenResponse{}, err
	}
	return TokenResponse{Token: tok, ExpiresAt: exp.UTC().Truncate(time.Second), Identity: req.Identity, Room: req.Room}, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
