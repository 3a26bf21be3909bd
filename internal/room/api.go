package room

import (
	"encoding/json"
	"net/http"
	"strings"
)

// APIHandler serves the room server's HTTP API, under prefix (e.g.
// "/room/api"):
//
//	GET  {prefix}/rooms              rooms with their participants and publishers
//	POST {prefix}/rooms/{name}/close close a room (its participants get roomClosed)
//	GET  {prefix}/stats              room, participant and media server counts
//
// and upstream's endpoints: GET /getAllRooms (names) and GET /close?room=NAME.
func (s *Server) APIHandler(prefix string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+prefix+"/rooms", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Rooms())
	})
	mux.HandleFunc("POST "+prefix+"/rooms/{name}/close", func(w http.ResponseWriter, r *http.Request) {
		s.closeRoomHTTP(w, r, r.PathValue("name"))
	})
	mux.HandleFunc("GET "+prefix+"/stats", func(w http.ResponseWriter, r *http.Request) {
		rooms := s.Rooms()
		participants, publishers := 0, 0
		for _, room := range rooms {
			participants += len(room.Participants)
			publishers += len(room.Publishers)
		}
		writeJSON(w, http.StatusOK, map[string]any{"rooms": len(rooms), "participants": participants,
			"publishers": publishers, "mediaServers": s.pool.loads()})
	})
	mux.HandleFunc("GET /getAllRooms", func(w http.ResponseWriter, r *http.Request) {
		names := []string{}
		for _, room := range s.Rooms() {
			names = append(names, room.Name)
		}
		writeJSON(w, http.StatusOK, names)
	})
	mux.HandleFunc("GET /close", func(w http.ResponseWriter, r *http.Request) {
		s.closeRoomHTTP(w, r, r.URL.Query().Get("room"))
	})
	return mux
}

func (s *Server) closeRoomHTTP(w http.ResponseWriter, r *http.Request, name string) {
	if strings.TrimSpace(name) == "" || !s.CloseRoom(r.Context(), name) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no room named " + name})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"closed": name})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
