package room

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gorento/gorento/internal/jsonrpc"
)

// requestTimeout bounds the media-server work of one request (upstream
// waits up to 30 s for endpoint creation).
const requestTimeout = 30 * time.Second

// dispatch executes one room request. It returns the response and an
// optional action to run after the response was sent (notifications that
// must follow it, ICE gathering).
func (s *Session) dispatch(method string, params map[string]any) (jsonrpc.Response, func()) {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	if err := s.authorize(method); err != nil {
		return jsonrpc.Response{Error: rpcError(err)}, nil
	}
	var result any
	var after func()
	var err error
	switch method {
	case "joinRoom":
		result, err = s.joinRoom(ctx, params)
	case "publishVideo":
		result, after, err = s.publishVideo(ctx, params)
	case "unpublishVideo":
		result, after, err = s.unpublishVideo(ctx)
	case "receiveVideoFrom":
		result, after, err = s.receiveVideoFrom(ctx, params)
	case "unsubscribeFromVideo":
		result, err = s.unsubscribeFromVideo(ctx, params)
	case "onIceCandidate":
		result, err = s.onIceCandidate(ctx, params)
	case "leaveRoom":
		result, after, err = s.leaveRoom(ctx)
	case "sendMessage":
		result, err = s.sendMessage(params)
	case "customRequest":
		result, err = s.customRequest(ctx, params)
	case "getReceivedLayer":
		result, err = s.receivedLayer(ctx, params)
	case "closeSession":
		result, after = "bye", s.evict
	default:
		return jsonrpc.Response{Error: &jsonrpc.Error{Code: jsonrpc.CodeMethodNotFound, Message: "Method not found."}}, nil
	}
	if err != nil {
		return jsonrpc.Response{Error: rpcError(err)}, nil
	}
	return jsonrpc.Response{Result: result}, after
}

// rpcError is err as a JSON-RPC error: itself when it is one, else unexpected.
func rpcError(err error) *jsonrpc.Error {
	var rpcErr *jsonrpc.Error
	if !errors.As(err, &rpcErr) {
		rpcErr = roomError(CodeUnexpected, "%v", err)
	}
	return rpcErr
}

// str reads a required string param (upstream: "Request element 'x' is missing").
func str(params map[string]any, name string) (string, error) {
	v, ok := params[name]
	if !ok || v == nil {
		return "", roomError(CodeUnexpected, "Request element '%s' is missing", name)
	}
	s, ok := v.(string)
	if !ok {
		return "", roomError(CodeUnexpected, "Request element '%s' must be a string", name)
	}
	return s, nil
}

func optBool(params map[string]any, name string) bool {
	b, _ := params[name].(bool)
	return b
}

// member returns the session's participant or the 102 error.
func (s *Session) member() (*Participant, error) {
	if p := s.participantOrNil(); p != nil {
		return p, nil
	}
	return nil, roomError(CodeUserNotFound, "No participant with id '%s' was found", s.id)
}

func (s *Session) joinRoom(ctx context.Context, params map[string]any) (any, error) {
	user, err := str(params, "user")
	if err != nil {
		return nil, err
	}
	roomName, err := str(params, "room")
	if err != nil {
		return nil, err
	}
	if err := s.srv.cfg.UserNames.Check(user); err != nil {
		return nil, nameError(err)
	}
	if err := s.srv.cfg.RoomNames.Check(roomName); err != nil {
		return nil, nameError(err)
	}
	if p := s.participantOrNil(); p != nil {
		return nil, roomError(CodeExistingUser, "This session already joined room '%s' as '%s'", p.room.name, p.name)
	}
	s.mu.Lock()
	sock := s.sock
	s.mu.Unlock()
	if sock == nil {
		return nil, roomError(CodeUserClosed, "The session has no connection")
	}
	claims, err := s.srv.authorizeJoin(sock.cred, roomName, user)
	if err != nil {
		return nil, err
	}
	r, err := s.srv.room(ctx, roomName)
	if err != nil {
		return nil, err
	}
	p, others, err := r.join(s, user, optBool(params, "dataChannels"))
	if err != nil {
		return nil, err
	}
	// Everyone already in the room hears of the newcomer before it gets
	// the answer, as upstream guarantees.
	for _, o := range others {
		o.p.session.notify("participantJoined", map[string]any{"id": user})
	}
	s.mu.Lock()
	s.participant, s.claims = p, claims
	s.mu.Unlock()
	list := make([]map[string]any, 0, len(others))
	for _, o := range others {
		entry := map[string]any{"id": o.p.name}
		if o.publishing {
			entry["streams"] = []map[string]any{{"id": "webcam"}}
		}
		list = append(list, entry)
	}
	s.srv.log.Debug("joined", "room", roomName, "user", user, "others", list)
	return list, nil
}

func (s *Session) publishVideo(ctx context.Context, params map[string]any) (any, func(), error) {
	p, err := s.member()
	if err != nil {
		return nil, nil, err
	}
	offer, err := str(params, "sdpOffer")
	if err != nil {
		return nil, nil, err
	}
	answer, targets, err := p.publish(ctx, offer, optBool(params, "doLoopback"))
	if err != nil {
		return nil, nil, err
	}
	after := func() {
		p.gatherPublisher()
		for _, o := range targets {
			o.session.notify("participantPublished", map[string]any{"id": p.name, "streams": []map[string]any{{"id": "webcam"}}})
		}
	}
	return map[string]any{"sdpAnswer": answer}, after, nil
}

func (s *Session) unpublishVideo(ctx context.Context) (any, func(), error) {
	p, err := s.member()
	if err != nil {
		return nil, nil, err
	}
	targets, err := p.unpublish(ctx)
	if err != nil {
		return nil, nil, err
	}
	after := func() {
		for _, o := range targets {
			o.session.notify("participantUnpublished", map[string]any{"name": p.name})
		}
	}
	return map[string]any{}, after, nil
}

// senderName extracts the publisher's name from "<name>_<streamId>". The
// stream id ("webcam") has no underscore, so the name is everything before
// the last one: unlike upstream, names containing "_" work.
func senderName(sender string) string {
	if i := strings.LastIndex(sender, "_"); i > 0 {
		return sender[:i]
	}
	return sender
}

func (s *Session) receiveVideoFrom(ctx context.Context, params map[string]any) (any, func(), error) {
	p, err := s.member()
	if err != nil {
		return nil, nil, err
	}
	sender, err := str(params, "sender")
	if err != nil {
		return nil, nil, err
	}
	offer, err := str(params, "sdpOffer")
	if err != nil {
		return nil, nil, err
	}
	name := senderName(sender)
	if name == p.name {
		return nil, nil, roomError(CodeUserNotStreaming, "Can loopback only when publishing media: use doLoopback in publishVideo")
	}
	pub := p.room.participant(name)
	if pub == nil {
		return nil, nil, roomError(CodeUserNotFound, "User '%s' not found in room '%s'", name, p.room.name)
	}
	answer, sub, err := p.subscribe(ctx, pub, offer)
	if err != nil {
		return nil, nil, err
	}
	return map[string]any{"sdpAnswer": answer}, func() { sub.gather() }, nil
}

func (s *Session) unsubscribeFromVideo(ctx context.Context, params map[string]any) (any, error) {
	p, err := s.member()
	if err != nil {
		return nil, err
	}
	sender, err := str(params, "sender")
	if err != nil {
		return nil, err
	}
	name := senderName(sender)
	if p.room.participant(name) == nil {
		return nil, roomError(CodeUserNotFound, "User '%s' not found in room '%s'", name, p.room.name)
	}
	p.unsubscribe(ctx, name)
	return map[string]any{}, nil
}

func (s *Session) onIceCandidate(ctx context.Context, params map[string]any) (any, error) {
	p, err := s.member()
	if err != nil {
		return nil, err
	}
	endpoint, err := str(params, "endpointName")
	if err != nil {
		return nil, err
	}
	cand, err := str(params, "candidate")
	if err != nil {
		return nil, err
	}
	mid, _ := params["sdpMid"].(string)
	idx := 0
	if f, ok := params["sdpMLineIndex"].(float64); ok {
		idx = int(f)
	}
	if err := p.addCandidate(ctx, endpoint, candidate{Candidate: cand, SdpMid: mid, SdpMLineIndex: idx}); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

func (s *Session) leaveRoom(ctx context.Context) (any, func(), error) {
	p, err := s.member()
	if err != nil {
		return nil, nil, err
	}
	// participantLeft to the others first, then the answer, then the
	// socket is closed.
	p.room.leave(ctx, p)
	s.mu.Lock()
	s.participant = nil
	s.mu.Unlock()
	return map[string]any{}, s.closeAfterFlush, nil
}

func (s *Session) sendMessage(params map[string]any) (any, error) {
	p, err := s.member()
	if err != nil {
		return nil, err
	}
	message, err := str(params, "message")
	if err != nil {
		return nil, err
	}
	user, err := str(params, "userMessage")
	if err != nil {
		return nil, err
	}
	roomName, err := str(params, "roomMessage")
	if err != nil {
		return nil, err
	}
	if user != p.name {
		return nil, roomError(CodeUserNotFound, "User '%s' is not '%s'", user, p.name)
	}
	if roomName != p.room.name {
		return nil, roomError(CodeRoomNotFound, "Room '%s' is not the room of '%s'", roomName, p.name)
	}
	for _, o := range p.room.members() {
		o.session.notify("sendMessage", map[string]any{"room": roomName, "user": user, "message": message})
	}
	return map[string]any{}, nil
}

func (s *Session) customRequest(ctx context.Context, params map[string]any) (any, error) {
	p, err := s.member()
	if err != nil {
		return nil, err
	}
	if s.srv.cfg.CustomRequest == nil {
		return nil, roomError(CodeUnexpected, "Unsupported method: customRequest has no handler on this server")
	}
	res, err := s.srv.cfg.CustomRequest(ctx, p, params)
	if err != nil {
		return nil, err
	}
	if res == nil {
		res = map[string]any{}
	}
	return res, nil
}

// methods are the room protocol's requests (metrics label them; anything
// else is "other").
var methods = map[string]bool{"joinRoom": true, "publishVideo": true, "unpublishVideo": true, "receiveVideoFrom": true,
	"unsubscribeFromVideo": true, "onIceCandidate": true, "leaveRoom": true, "sendMessage": true, "customRequest": true,
	"closeSession": true, "getReceivedLayer": true}

func knownMethod(m string) string {
	if methods[m] {
		return m
	}
	return "other"
}

// mediaErrorText formats a media server error for mediaError notifications.
func mediaErrorText(typ, desc string, code int) string {
	return fmt.Sprintf("%s: %s(errCode=%d)", typ, desc, code)
}
