// Package kms implements the Kurento Protocol server: JSON-RPC sessions as
// KMS keeps them, the remote object registry, the class table, dispatch,
// events, transactions and garbage collection. It is the only package that
// knows Kurento's class names, error codes, enum values and event names;
// the media engine (internal/media/...) reports Go errors and typed events.
//
// # The class table
//
// Each Kurento class is one Class value in one class_<name>.go file,
// registered from init (class.go). Its constructor, operations and
// property setters take Go structs whose `kurento` field tags are the
// parameter specs (binding.go): the dispatcher decodes and checks
// parameters from them, getKmd publishes them. Its EventSpecs name the
// engine event each Kurento event converts from. A new class is one new
// file plus its block in testdata/kurento-interfaces.txt, which the
// contract test (contract_test.go) compares with the table.
//
// # A JSON-RPC call becoming a media operation
//
// Server.ServeHTTP upgrades the WebSocket and runs connState.serve, which
// reads frames one after another (jsonrpc.Conn.ReadFrame), decodes them
// (connState.decode: jsonrpc.DecodeRequest validates the frame) and hands
// them in order to the connection's request goroutine (a ping is answered
// at once, never behind a slow request); connState.run:
// connState.execute injects the bound session, answers retries from the
// request cache and calls request.dispatch, which recovers from panics and
// runs the method's handler (request.go):
//
//   - create (methods.go): classRegistry.factory finds the class,
//     Constructor.create decodes constructorParams (binding.decode) and runs
//     the class's constructor, e.g. newWebRtcEndpoint, which calls
//     webrtcep.New with Server.mediaEvents(o) as the element's event
//     handler; Server.register adds the Object and emits ObjectCreated.
//   - invoke (methods.go): request.object resolves and references the
//     object, Class.lookup finds the operation (own, inherited or a
//     property accessor), Method.invoke decodes operationParams into the
//     operation's struct and calls it, e.g. processOffer →
//     webrtcep.Endpoint.ProcessOffer, connect → media.Connect. Engine
//     errors become Kurento errors in the class files (mediaError,
//     webrtcError) through kurentoError.
//
// execute marshals the result (caching it for retries) and connState.send
// writes it on the connection's ordered send queue.
//
// # An event travelling back
//
// An element posts a typed event (media.Core.Post/Deliver); the handler
// Server.mediaEvents(o) made for its Object looks the event's type up in
// the object's class and its ancestors (Class.event), converts it to the
// wire payload (EventSpec.toWire) and calls Server.emit under the Kurento
// name and its KMS 6 aliases. emit finds the sessions subscribed to that
// object and event (subscriptions.sessionsLocked), fills source, tags and
// timestamp, and sends one onEvent notification on each session's bound
// connection.
package kms
