// KurentoRoom for Gorento: the Kurento Room client library, written for this
// project from the protocol description (shared/specs/kurento-room-protocol.md).
// Same public API as upstream KurentoRoom.js, no dependencies: it uses the
// browser's WebSocket, RTCPeerConnection, navigator.mediaDevices, Web Audio and
// DOM directly. Plain-script build: web/static/vendor/KurentoRoom.js (global
// `KurentoRoom`, see js/build.mjs).
//
//   const kurento = KurentoRoom(wsUri, (error, kurento) => { ... });
//   const room = kurento.Room({room, user});
//   const stream = kurento.Stream(room, {audio: true, video: true, data: false});
//
// Extensions over upstream (all optional): a third `options` argument to
// KurentoRoom (see DEFAULTS), session resumption after a socket loss with the
// room events `reconnected {room, resumed}` and `reconnection-failed {room}`,
// `participant-unpublished {participant}`, `access-denied {error}`; simulcast
// publishing (option `simulcast`, on by default) and
// Stream.getReceivedLayer(callback): which layer the server sends this viewer.

const DEFAULTS = Object.freeze({
  heartbeat: 3000, // ms between pings; the first ping of each socket announces it
  requestTimeout: 15000, // ms before a request (pings included) fails
  connectTimeout: 15000, // ms for a socket to open
  reconnectDelay: 3000, // ms between reconnection attempts
  reconnectAttempts: 10, // then give up: `reconnection-failed`
  iceServers: [], // RTCPeerConnection iceServers (or pass a whole rtcConfiguration)
  rtcConfiguration: null,
  // Publish video in three simulcast layers (full, half and quarter size) so
  // that each viewer gets what its link allows: true, false, or your own
  // RTCRtpEncodingParameters list. A Stream option of the same name wins.
  // The full layer is first: a server without simulcast gets that one.
  simulcast: true,
});

// The layers published with simulcast: true (LiveKit's names; the server
// orders q < h < f). A half layer at 350 kb/s fits a 600 kbit/s viewer at
// 30 fps with its audio and headers (~72 % of the link); LiveKit's 450
// kb/s ran at 440–480 and needed 90–93 % of it, and that viewer kept the
// quarter layer (docs/impaired-links.md, branch upswitch). A 1.7 Mb/s
// full layer leaves Chromium's encoder at 720p where 2.5 Mb/s made it
// scale to 540p on a loaded 2-core machine.
export const SIMULCAST_ENCODINGS = Object.freeze([
  Object.freeze({ rid: 'f', maxBitrate: 1700000 }),
  Object.freeze({ rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 350000 }),
  Object.freeze({ rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150000 }),
]);

const TAG = '[KurentoRoom]';
const log = {
  warn: (...a) => console.warn(TAG, ...a),
  error: (...a) => console.error(TAG, ...a),
};
const noop = () => {};
const logError = (what) => (error) => { if (error) log.error(what + ' failed:', error); };

// --------------------------------------------------------------------------
// Tiny event emitter: a listener that throws is logged, never breaks the lib.

class Emitter {
  constructor() { this._listeners = new Map(); }
  on(name, fn) {
    if (!this._listeners.has(name)) this._listeners.set(name, []);
    this._listeners.get(name).push(fn);
  }
  off(name, fn) {
    const list = this._listeners.get(name) || [];
    const i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
  }
  emit(name, ...args) {
    for (const fn of [...(this._listeners.get(name) || [])]) {
      try { fn(...args); } catch (e) { log.error(`listener of "${name}" threw:`, e); }
    }
  }
}

// --------------------------------------------------------------------------
// JSON-RPC 2.0 client over a WebSocket: integer ids from 0 (shared with pings),
// per-request timeout, heartbeat, reconnection with session resumption.
//
// States: connecting -> open <-> reconnecting -> closed. Requests made while
// the socket is not ready are queued (their timeout runs meanwhile).

class RpcClient {
  constructor(uri, opts, handlers) {
    Object.assign(this, { uri, opts, h: handlers });
    this.nextId = 0;
    this.pending = new Map(); // id -> request
    this.queue = []; // requests waiting for the socket
    this.state = 'connecting';
    this.ready = false;
    this.everOpened = false;
    this.attempts = 0;
    this.sessionId = null; // learnt from responses, used to resume
    this.closeExpected = false; // leaveRoom sent: the server closes the socket
    this.ws = null;
    this._open();
  }

  _open() {
    let ws;
    let opened = false;
    let done = false;
    const gone = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ws.onopen = ws.onmessage = ws.onclose = null;
      ws.onerror = noop; // some implementations emit 'error' on a late close
      try { ws.close(); } catch (e) { /* already closed */ }
      this._socketGone(ws, opened, err);
    };
    const timer = setTimeout(() => gone(new Error('Connection timed out: ' + this.uri)), this.opts.connectTimeout);
    try {
      ws = new globalThis.WebSocket(this.uri);
    } catch (e) {
      ws = { close: noop };
      this.ws = ws;
      setTimeout(() => gone(e), 0); // never call back from inside the constructor
      return;
    }
    this.ws = ws;
    this._drop = gone;
    ws.onopen = () => { opened = true; clearTimeout(timer); this._onOpen(ws); };
    ws.onmessage = (ev) => this._onMessage(ev.data);
    ws.onerror = () => { if (!opened) gone(new Error('Could not connect to ' + this.uri)); };
    ws.onclose = (ev) => gone(new Error(`Connection closed (code ${ev && ev.code})`));
  }

  _onOpen(ws) {
    const reconnection = this.everOpened;
    this.everOpened = true;
    this.state = 'open';
    this.attempts = 0;
    this.pings = 0;
    this._ping();
    this.pingTimer = setInterval(() => this._ping(), this.opts.heartbeat);
    const ready = (resumed) => {
      this.ready = true;
      for (const req of this.queue.splice(0)) this._transmit(req);
      if (reconnection) this.h.onreconnected(resumed); else this.h.onopen();
    };
    if (!reconnection || !this.sessionId) return ready(false);
    // Re-attach the server-side session (it survives a lost socket for a grace period).
    this.request('connect', { sessionId: this.sessionId }, (err) => {
      if (this.ws !== ws) return;
      if (err) this.sessionId = null;
      ready(!err);
    }, true);
  }

  _ping() {
    const params = this.pings++ === 0 ? { interval: this.opts.heartbeat } : undefined;
    const ws = this.ws;
    this.request('ping', params, (err) => {
      if (err && err.timeout && this.ws === ws && this.state === 'open') this._drop(new Error('Ping timed out'));
    }, true);
  }

  // Sends a request; cb(error, result). `now` bypasses the queue (ping, connect).
  request(method, params, cb, now = false) {
    const req = { method, params, cb: cb || noop, id: null, timer: null };
    if (this.state === 'closed') {
      setTimeout(() => req.cb(new Error('Connection is closed')), 0);
      return;
    }
    req.timer = setTimeout(() => {
      const err = new Error('Request has timed out');
      err.timeout = true;
      this._settle(req, err);
    }, this.opts.requestTimeout);
    if (now || this.ready) this._transmit(req); else this.queue.push(req);
  }

  _transmit(req) {
    req.id = this.nextId++;
    this.pending.set(req.id, req);
    const msg = { jsonrpc: '2.0', method: req.method };
    if (req.params !== undefined) msg.params = req.params;
    msg.id = req.id;
    try { this.ws.send(JSON.stringify(msg)); } catch (e) { this._settle(req, e); }
  }

  _settle(req, error, result) {
    clearTimeout(req.timer);
    if (req.id !== null) this.pending.delete(req.id);
    const i = this.queue.indexOf(req);
    if (i >= 0) this.queue.splice(i, 1);
    if (req.done) return;
    req.done = true;
    try { req.cb(error, result); } catch (e) { log.error(`callback of "${req.method}" threw:`, e); }
  }

  _failAll(message, includeQueue) {
    for (const req of [...this.pending.values()]) this._settle(req, new Error(message));
    if (includeQueue) for (const req of [...this.queue]) this._settle(req, new Error(message));
  }

  _onMessage(data) {
    let msg;
    try { msg = JSON.parse(data); } catch (e) { return log.warn('dropping a frame that is not JSON'); }
    if (!msg || msg.jsonrpc !== '2.0') return log.warn('dropping a frame that is not JSON-RPC 2.0:', data);
    if (typeof msg.method === 'string') {
      if (msg.id === undefined || msg.id === null) return this.h.onnotification(msg.method, msg.params || {});
      // The room server sends no requests; answer politely anyway.
      const error = { code: -32601, message: 'Method not found: ' + msg.method };
      try { this.ws.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error })); } catch (e) { /* ignore */ }
      return;
    }
    if (msg.id === undefined || (msg.result === undefined) === (msg.error === undefined)) {
      return log.warn('dropping a malformed response:', data);
    }
    const req = this.pending.get(msg.id);
    if (!req) return log.warn('dropping a response to an unknown request:', data);
    const body = msg.error !== undefined ? msg.error : msg.result;
    if (req.method !== 'ping' && body && typeof body.sessionId === 'string') this.sessionId = body.sessionId;
    if (msg.error !== undefined) this._settle(req, msg.error);
    else this._settle(req, null, msg.result);
  }

  _socketGone(ws, wasOpen, err) {
    if (this.ws !== ws) return;
    this.ws = null;
    this.ready = false;
    clearInterval(this.pingTimer);
    this._failAll('Connection lost', false);
    if (this.state === 'closed') return;
    if (this.closeExpected) return this.close();
    if (!this.everOpened) { // the first connection failed: tell the app, do not retry
      this.close();
      return this.h.onfirsterror(err);
    }
    if (wasOpen) {
      this.state = 'reconnecting';
      this.attempts = 0;
      this.h.onlost(err);
      if (this.state === 'closed') return; // the app closed from its handler
    }
    if (++this.attempts > this.opts.reconnectAttempts) {
      this.close();
      return this.h.ongiveup();
    }
    this.retryTimer = setTimeout(() => this._open(), this.opts.reconnectDelay);
  }

  expectClose() { this.closeExpected = true; }

  close() {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.ready = false;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      ws.onerror = noop;
      try { ws.close(); } catch (e) { /* ignore */ }
    }
    this._failAll('Connection is closed', true);
  }
}

// --------------------------------------------------------------------------
// Speaking detection: RMS level of the audio, in dBFS, polled every 50 ms.
// Speaking after 3 polls above the threshold, stopped after 10 polls below.

let audioContext = null;
class SpeechDetector {
  constructor(mediaStream, threshold, onChange) {
    const AC = globalThis.AudioContext || globalThis.webkitAudioContext;
    if (!AC || !mediaStream || !mediaStream.getAudioTracks || !mediaStream.getAudioTracks().length) return;
    try {
      audioContext = audioContext || new AC();
      if (audioContext.state === 'suspended' && audioContext.resume) audioContext.resume().catch(noop);
      this.source = audioContext.createMediaStreamSource(mediaStream);
      this.analyser = audioContext.createAnalyser();
      this.analyser.fftSize = 512;
      this.source.connect(this.analyser);
      this.samples = new Float32Array(this.analyser.fftSize);
    } catch (e) {
      log.warn('speaking detection unavailable:', e);
      return;
    }
    Object.assign(this, { threshold, onChange, speaking: false, above: 0, below: 0 });
    this.timer = setInterval(() => this._poll(), 50);
  }
  level() {
    this.analyser.getFloatTimeDomainData(this.samples);
    let sum = 0;
    for (const v of this.samples) sum += v * v;
    const rms = Math.sqrt(sum / this.samples.length);
    return rms > 0 ? 20 * Math.log10(rms) : -Infinity;
  }
  _poll() {
    if (this.level() > this.threshold) {
      this.below = 0;
      if (!this.speaking && ++this.above >= 3) { this.speaking = true; this.onChange(true); }
    } else {
      this.above = 0;
      if (this.speaking && ++this.below >= 10) { this.speaking = false; this.onChange(false); }
    }
  }
  stop() {
    clearInterval(this.timer);
    try { if (this.source) this.source.disconnect(); } catch (e) { /* ignore */ }
  }
}

// --------------------------------------------------------------------------
// KurentoRoom(wsUri, callback[, options]): callable with or without `new`.

export function KurentoRoom(wsUri, callback, options) {
  if (!(this instanceof KurentoRoom)) return new KurentoRoom(wsUri, callback, options);
  const cb = typeof callback === 'function' ? callback : noop;
  this.wsUri = wsUri;
  this.options = Object.assign({}, DEFAULTS, options);
  this._room = null;
  this._rpcParams = {};
  const room = (fn) => () => { if (this._room) fn(this._room); };
  if (typeof globalThis.WebSocket !== 'function') {
    this._rpc = { close: noop, request: (m, p, c) => c && c(new Error('WebSocket is not available')) };
    setTimeout(() => cb(new Error('WebSocket is not available')), 0);
    return;
  }
  this._rpc = new RpcClient(wsUri, this.options, {
    onopen: () => cb(null, this),
    onfirsterror: (error) => cb(error),
    onlost: room((r) => r._onLostConnection()),
    onreconnected: (resumed) => { if (this._room) this._room._onReconnected(resumed); },
    ongiveup: room((r) => r._onReconnectionFailed()),
    onnotification: (method, params) => this._onNotification(method, params),
  });
}

const NOTIFICATIONS = {
  participantJoined: '_onParticipantJoined',
  participantPublished: '_onParticipantPublished',
  participantUnpublished: '_onParticipantUnpublished',
  participantLeft: '_onParticipantLeft',
  participantEvicted: '_onParticipantEvicted',
  sendMessage: '_onNewMessage',
  iceCandidate: '_recvIceCandidate',
  roomClosed: '_onRoomClosed',
  mediaError: '_onMediaError',
  custonNotification: '_onCustomNotification', // sic: the upstream wire name
  customNotification: '_onCustomNotification',
};

Object.assign(KurentoRoom.prototype, {
  _onNotification(method, params) {
    const handler = NOTIFICATIONS[method];
    if (!handler) return log.warn('unknown notification', method);
    if (!this._room) return log.warn(`notification ${method} without a room`);
    this._room[handler](params);
  },
  Room(options) {
    this._room = new Room(this, options);
    return this._room;
  },
  Stream(room, options) {
    return new Stream(this, true, room, Object.assign({}, options, { participant: room.getLocalParticipant() }));
  },
  // sendRequest(method[, params], callback): params get the setRpcParams extras.
  sendRequest(method, params, callback) {
    if (typeof params === 'function') { callback = params; params = {}; }
    this._rpc.request(method, Object.assign({}, params || {}, this._rpcParams), callback || logError(method));
  },
  setRpcParams(params) { this._rpcParams = Object.assign({}, params); },
  close(forced) {
    if (this._room) this._room.leave(forced);
    else this._rpc.close();
  },
  disconnect(stream) { stream.room.disconnect(stream); },
  disconnectParticipant(stream) { stream.room.disconnect(stream); },
  sendMessage(room, user, message) {
    this.sendRequest('sendMessage', { message, userMessage: user, roomMessage: room }, logError('sendMessage'));
  },
  sendCustomRequest(params, callback) { this.sendRequest('customRequest', params, callback); },
});

// --------------------------------------------------------------------------
// Room

export class Room {
  constructor(kurento, options = {}) {
    this.kurento = kurento;
    this.options = options;
    this.name = options.room;
    this.subscribeToStreams = options.subscribeToStreams === undefined ? true : !!options.subscribeToStreams;
    this.updateSpeakerInterval = options.updateSpeakerInterval || 1500;
    this.thresholdSpeaker = typeof options.thresholdSpeaker === 'number' ? options.thresholdSpeaker : -50;
    this.connected = false;
    this._ee = new Emitter();
    this._participants = new Map();
    this._speaking = [];
    this._local = new Participant(kurento, true, this, { id: options.user });
    this._participants.set(options.user, this._local);
  }

  getLocalParticipant() { return this._local; }
  getParticipants() { return [...this._participants.values()]; }
  // Every stream (local ones included), keyed by global id (upstream keyed by
  // stream id, so all "webcam" streams collided).
  getStreams() {
    const out = {};
    for (const p of this._participants.values()) for (const s of p._streams.values()) out[s.getGlobalID()] = s;
    return out;
  }
  addEventListener(name, fn) { this._ee.on(name, fn); }
  removeEventListener(name, fn) { this._ee.off(name, fn); }
  emitEvent(name, args) { this._ee.emit(name, ...(args || [])); }
  _emit(name, payload) { this._ee.emit(name, payload); }

  connect() {
    const params = { user: this._local.getID(), room: this.name };
    if ([...this._local._streams.values()].some((s) => s.isDataChannelEnabled())) params.dataChannels = true;
    this.kurento.sendRequest('joinRoom', params, (error, result) => {
      if (error) {
        log.error('joinRoom failed:', error);
        return this._emit('error-room', { error });
      }
      this.connected = true;
      this._startSpeakerTimer();
      const list = Array.isArray(result) ? result : (result && Array.isArray(result.value) ? result.value : []);
      const participants = [];
      const streams = [];
      for (const info of list) {
        if (!info || info.id === this._local.getID()) continue;
        const { participant, added } = this._upsert(info);
        participants.push(participant);
        for (const s of added) {
          streams.push(s);
          if (this.subscribeToStreams) s.subscribe();
        }
      }
      this._emit('room-connected', { participants, streams });
    });
  }

  subscribe(stream) { stream.subscribe(); }

  // Leaves the room (leaveRoom unless forced, or not connected) and closes the socket.
  leave(forced) {
    const rpc = this.kurento._rpc;
    if (this.connected && !forced) {
      rpc.expectClose();
      this.kurento.sendRequest('leaveRoom', {}, (error) => {
        if (error) log.error('leaveRoom failed:', error);
        rpc.close();
      });
    } else {
      rpc.close();
    }
    this.connected = false;
    this._stopSpeakerTimer();
    for (const p of this._participants.values()) p.dispose();
    this._participants.clear();
    this._participants.set(this._local.getID(), this._local);
  }

  // Stops publishing (own stream: unpublishVideo) or receiving (unsubscribeFromVideo).
  disconnect(stream) {
    const participant = stream.getParticipant();
    this.removeParticipantSpeaking(stream.getGlobalID());
    if (participant === this._local) {
      participant.removeStream(stream);
      stream.dispose();
      this.kurento.sendRequest('unpublishVideo', {}, logError('unpublishVideo'));
    } else {
      stream.dispose(); // stays known: room.subscribe(stream) subscribes again
      this.kurento.sendRequest('unsubscribeFromVideo', { sender: stream.getGlobalID() }, logError('unsubscribeFromVideo'));
    }
  }

  addParticipantSpeaking(id) { this.removeParticipantSpeaking(id); this._speaking.push(id); }
  removeParticipantSpeaking(id) { this._speaking = this._speaking.filter((s) => s !== id); }

  _startSpeakerTimer() {
    this._stopSpeakerTimer();
    this._speakerTimer = setInterval(() => {
      const id = this._speaking[this._speaking.length - 1];
      if (id) this._emit('update-main-speaker', { participantId: id });
    }, this.updateSpeakerInterval);
  }
  _stopSpeakerTimer() { clearInterval(this._speakerTimer); this._speaking = []; }

  // Adds a remote participant (or reuses the known one) with the streams in
  // info.streams; a stream with an id already known replaces the old one.
  _upsert(info) {
    let participant = this._participants.get(info.id);
    if (!participant) {
      participant = new Participant(this.kurento, false, this, { id: info.id });
      this._participants.set(info.id, participant);
    }
    const added = [];
    const removed = [];
    for (const s of info.streams || []) {
      const id = (s && s.id) || 'webcam';
      const old = participant._streams.get(id);
      if (old) { participant.removeStream(old); old.dispose(); removed.push(old); }
      const stream = new Stream(this.kurento, false, this, {
        id, participant, recvVideo: s && s.recvVideo, recvAudio: s && s.recvAudio,
      });
      participant.addStream(stream);
      added.push(stream);
    }
    return { participant, added, removed };
  }

  _dropStreams(participant) {
    const streams = [...participant._streams.values()];
    for (const s of streams) {
      this.removeParticipantSpeaking(s.getGlobalID());
      participant.removeStream(s);
      s.dispose();
    }
    return streams;
  }

  _onParticipantJoined(params) {
    let participant = this._participants.get(params.id);
    if (!participant) {
      participant = new Participant(this.kurento, false, this, { id: params.id });
      this._participants.set(params.id, participant);
    }
    this._emit('participant-joined', { participant });
  }

  _onParticipantPublished(params) {
    const { participant, added, removed } = this._upsert(params);
    for (const stream of removed) this._emit('stream-removed', { stream });
    this._emit('participant-published', { participant });
    if (!this.subscribeToStreams) return;
    for (const stream of added) {
      stream.subscribe();
      this._emit('stream-added', { stream });
    }
  }

  // Upstream reported an unpublish as participant-left; the participant is
  // still in the room, so we only drop its streams.
  _onParticipantUnpublished(params) {
    const participant = this._participants.get(params.name);
    if (!participant) return log.warn('participantUnpublished for an unknown participant', params.name);
    const streams = this._dropStreams(participant);
    this._emit('participant-unpublished', { participant });
    for (const stream of streams) this._emit('stream-removed', { stream });
  }

  _onParticipantLeft(params) {
    const participant = this._participants.get(params.name);
    if (!participant || participant === this._local) return log.warn('participantLeft for an unknown participant', params.name);
    this._participants.delete(params.name);
    const streams = this._dropStreams(participant);
    this._emit('participant-left', { participant });
    for (const stream of streams) this._emit('stream-removed', { stream });
  }

  _onParticipantEvicted() {
    this.connected = false; // the server no longer has us: close() will not send leaveRoom
    this._emit('participant-evicted', { localParticipant: this._local });
  }

  _onNewMessage(params) {
    this._emit('newMessage', { room: params.room, user: params.user, message: params.message });
  }

  // Server candidates: endpointName is our own name for the publisher
  // endpoint, the publisher's name for a subscription.
  _recvIceCandidate(params) {
    const participant = this._participants.get(params.endpointName);
    if (!participant) return log.error('iceCandidate for an unknown participant', params.endpointName);
    const candidate = { candidate: params.candidate, sdpMid: params.sdpMid, sdpMLineIndex: params.sdpMLineIndex };
    for (const s of participant._streams.values()) s._addIceCandidate(candidate);
  }

  _onRoomClosed(params) {
    this.connected = false;
    this._emit('room-closed', { room: params.room });
  }

  _onMediaError(params) { this._emit('error-media', { error: params.error }); }
  _onCustomNotification(params) { this._emit('custom-message-received', { params }); }

  _onLostConnection() {
    if (!this.connected) return log.warn('connection lost (not in a room)');
    this._emit('lost-connection', { room: this.name });
  }

  // resumed: the server re-attached our session, media and membership are
  // intact (notifications sent meanwhile are lost). Otherwise the server
  // forgot us: remote participants are dropped (participant-left and
  // stream-removed), the local streams unpublished; room.connect() and
  // stream.publish() join again.
  _onReconnected(resumed) {
    if (!this.connected) return;
    if (!resumed) {
      this.connected = false;
      this._stopSpeakerTimer();
      for (const s of this._local._streams.values()) s.unpublish();
      for (const participant of [...this._participants.values()]) {
        if (participant === this._local) continue;
        this._participants.delete(participant.getID());
        const streams = this._dropStreams(participant);
        this._emit('participant-left', { participant });
        for (const stream of streams) this._emit('stream-removed', { stream });
      }
    }
    this._emit('reconnected', { room: this.name, resumed });
  }

  _onReconnectionFailed() {
    if (!this.connected) return;
    this.connected = false;
    this._stopSpeakerTimer();
    this._emit('reconnection-failed', { room: this.name });
  }
}

// --------------------------------------------------------------------------
// Participant: a peer of the room, local or remote. Not created by apps.

export class Participant {
  constructor(kurento, local, room, options = {}) {
    this.kurento = kurento;
    this.local = !!local;
    this.room = room;
    this._id = options.id;
    this._streams = new Map();
    for (const s of options.streams || []) {
      this.addStream(new Stream(kurento, false, room, {
        id: s.id, participant: this, recvVideo: s.recvVideo, recvAudio: s.recvAudio,
      }));
    }
  }
  getID() { return this._id; }
  setId(id) { this._id = id; }
  isLocal() { return this.local; }
  getStreams() { return Object.fromEntries(this._streams); }
  addStream(stream) { this._streams.set(stream.getID(), stream); }
  removeStream(stream) { if (this._streams.get(stream.getID()) === stream) this._streams.delete(stream.getID()); }
  dispose() { for (const s of this._streams.values()) s.dispose(); }
  sendIceCandidate(candidate) {
    this.kurento.sendRequest('onIceCandidate', {
      endpointName: this._id,
      candidate: candidate.candidate,
      sdpMid: candidate.sdpMid,
      sdpMLineIndex: candidate.sdpMLineIndex,
    }, logError('onIceCandidate'));
  }
}

// --------------------------------------------------------------------------
// Peer: what getWebRtcPeer() returns (the shape apps used from kurento-utils).

class Peer {
  constructor(pc, localStream) {
    this.peerConnection = pc;
    this.dataChannel = null;
    this._local = localStream;
    this._remote = null;
  }
  getLocalStream() { return this._local; }
  getRemoteStream() {
    if (!this._remote) {
      const tracks = this.peerConnection.getReceivers().map((r) => r.track).filter(Boolean);
      this._remote = new globalThis.MediaStream(tracks);
    }
    return this._remote;
  }
  _tracks(kind) { return this._local ? this._local.getTracks().filter((t) => t.kind === kind) : []; }
  get audioEnabled() { return this._tracks('audio').every((t) => t.enabled); }
  set audioEnabled(on) { for (const t of this._tracks('audio')) t.enabled = !!on; }
  get videoEnabled() { return this._tracks('video').every((t) => t.enabled); }
  set videoEnabled(on) { for (const t of this._tracks('video')) t.enabled = !!on; }
  send(data) { this.dataChannel.send(data); }
  dispose() {
    try { if (this.dataChannel) this.dataChannel.close(); } catch (e) { /* ignore */ }
    try { this.peerConnection.close(); } catch (e) { /* ignore */ }
  }
}

const SPINNER_CSS = '.kurento-room-spinner{position:absolute;top:50%;left:50%;width:32px;height:32px;'
  + 'margin:-16px 0 0 -16px;box-sizing:border-box;border:4px solid rgba(255,255,255,.3);'
  + 'border-top-color:#fff;border-radius:50%;animation:kurento-room-spin 1s linear infinite;z-index:1}'
  + '@keyframes kurento-room-spin{to{transform:rotate(360deg)}}';

function ensureSpinnerStyle(doc) {
  if (doc.getElementById('kurento-room-style')) return;
  const style = doc.createElement('style');
  style.id = 'kurento-room-style';
  style.textContent = SPINNER_CSS;
  (doc.head || doc.documentElement || doc.body).appendChild(style);
}

function setDisplay(id, value) {
  const el = id && globalThis.document.getElementById(id);
  if (!el) return;
  if (value !== 'none' && el.style.display !== 'none') return;
  el.style.display = value;
}

// --------------------------------------------------------------------------
// Stream: a local stream (kurento.Stream) or a remote one (from the server).

export class Stream {
  constructor(kurento, local, room, options = {}) {
    this.kurento = kurento;
    this.local = !!local;
    this.room = room;
    this._id = options.id || 'webcam';
    this._participant = options.participant || null;
    this._data = !!options.data;
    this._audio = options.audio;
    this._video = options.video;
    this._recvVideo = options.recvVideo === undefined ? true : !!options.recvVideo;
    this._recvAudio = options.recvAudio === undefined ? true : !!options.recvAudio;
    this._simulcast = options.simulcast;
    this._ee = new Emitter();
    this._localMedia = null; // camera/mic from init(): stopped on dispose
    this._wrStream = null; // what is displayed: local media, or the server's stream
    this._peer = null;
    this._remoteSet = false;
    this._candidates = [];
    this._showMyRemote = false;
    this._mirrored = false;
    this._videos = [];
    this._elements = [];
    this._speech = null;
  }

  getID() { return this._id; }
  getGlobalID() { return this._participant ? `${this._participant.getID()}_${this._id}` : `${this._id}_webcam`; }
  getParticipant() { return this._participant; }
  getWrStream() { return this._wrStream; }
  getWebRtcPeer() { return this._peer; }
  getRecvVideo() { return this._recvVideo; }
  getRecvAudio() { return this._recvAudio; }
  isLocal() { return this.local; }
  addEventListener(name, fn) { this._ee.on(name, fn); }
  removeEventListener(name, fn) { this._ee.off(name, fn); }
  subscribeToMyRemote() { this._showMyRemote = true; }
  displayMyRemote() { return this._showMyRemote; }
  mirrorLocalStream(mediaStream) {
    this._showMyRemote = true;
    this._mirrored = true;
    if (mediaStream) this._wrStream = mediaStream;
  }
  isLocalMirrored() { return this._mirrored; }
  isDataChannelEnabled() { return this._data; }
  isDataChannelOpened() {
    const dc = this._peer && this._peer.dataChannel;
    return !!dc && dc.readyState === 'open';
  }
  sendData(data) {
    if (!this._peer) throw new Error('WebRTC peer has not been created yet');
    if (!this.isDataChannelOpened()) throw new Error('Data channel is not opened');
    this._peer.send(data);
  }

  // Asks for the camera/microphone: `access-accepted` or `access-denied {error}`.
  init() {
    this._participant.addStream(this);
    const pick = (opt, dflt) => (opt === undefined || opt === null || opt === true ? dflt : opt);
    const constraints = {
      audio: pick(this._audio, true),
      video: pick(this._video, { width: { ideal: 1280 }, frameRate: { ideal: 15 } }),
    };
    if (!constraints.audio && !constraints.video) {
      setTimeout(() => this._ee.emit('access-accepted'), 0);
      return;
    }
    const md = globalThis.navigator && globalThis.navigator.mediaDevices;
    const request = md && md.getUserMedia
      ? md.getUserMedia(constraints)
      : Promise.reject(new Error('getUserMedia is not available (is the page in a secure context?)'));
    request.then((mediaStream) => {
      this._localMedia = this._wrStream = mediaStream;
      this._ee.emit('access-accepted');
    }, (error) => {
      log.error('getUserMedia failed:', error);
      this._ee.emit('access-denied', { error });
    });
  }

  _createPeer() {
    const opts = this.kurento.options;
    const pc = new globalThis.RTCPeerConnection(opts.rtcConfiguration || { iceServers: opts.iceServers || [] });
    const peer = new Peer(pc, this.local ? this._localMedia || this._wrStream : null);
    this._peer = peer;
    this._remoteSet = false;
    this._candidates = [];
    pc.onicecandidate = (ev) => {
      if (this._peer === peer && ev.candidate && ev.candidate.candidate) this._participant.sendIceCandidate(ev.candidate);
    };
    return pc;
  }

  // Offer, then `method` with params(sdpOffer), then onResult(result).
  _negotiate(method, params, onResult) {
    const peer = this._peer;
    const pc = peer.peerConnection;
    pc.createOffer()
      .then((offer) => pc.setLocalDescription(offer).then(() => offer))
      .then((offer) => {
        if (this._peer !== peer) return;
        this.kurento.sendRequest(method, params(offer.sdp), (error, result) => {
          if (this._peer !== peer) return;
          if (error) return log.error(`${method} failed for ${this.getGlobalID()}:`, error);
          onResult(result || {});
        });
      })
      .catch((e) => log.error(`cannot make the offer for ${this.getGlobalID()}:`, e));
  }

  publish() {
    if (this._peer) return log.warn('already published', this.getGlobalID());
    const direction = this._showMyRemote ? 'sendrecv' : 'sendonly';
    const pc = this._createPeer();
    const media = this._localMedia || this._wrStream;
    const encodings = this._encodings();
    if (media) {
      for (const track of media.getTracks()) {
        const init = { direction, streams: [media] };
        if (track.kind === 'video' && encodings) init.sendEncodings = encodings;
        pc.addTransceiver(track, init);
      }
    }
    if (this._data) {
      const dc = pc.createDataChannel(this.getGlobalID());
      dc.onmessage = (ev) => this._ee.emit('data', { data: ev.data });
      this._peer.dataChannel = dc;
    }
    this._negotiate('publishVideo', (sdpOffer) => ({ sdpOffer, doLoopback: this._showMyRemote }), (result) => {
      this.room._emit('stream-published', { stream: this });
      this.processSdpAnswer(result.sdpAnswer);
    });
  }

  // The simulcast layers to publish (null: one stream).
  _encodings() {
    const opt = this._simulcast === undefined ? this.kurento.options.simulcast : this._simulcast;
    if (Array.isArray(opt)) return opt.length > 1 ? opt.map((e) => Object.assign({}, e)) : null;
    return opt ? SIMULCAST_ENCODINGS.map((e) => Object.assign({}, e)) : null;
  }

  // Extension: callback(error, {simulcast, layer, targetLayer, layers,
  // layerBitrate, bytesSent}) — the layer of this remote stream the server
  // sends (layer 0 is the lowest; simulcast false: the stream has one).
  getReceivedLayer(callback) {
    if (this.local) return callback(new Error('a local stream is not received'));
    this.kurento.sendRequest('getReceivedLayer', { sender: this.getGlobalID() }, callback);
  }

  subscribe() {
    if (this._peer) return log.warn('already subscribed', this.getGlobalID());
    const pc = this._createPeer();
    if (this._recvAudio) pc.addTransceiver('audio', { direction: 'recvonly' });
    if (this._recvVideo) pc.addTransceiver('video', { direction: 'recvonly' });
    this._negotiate('receiveVideoFrom', (sdpOffer) => ({ sender: this.getGlobalID(), sdpOffer }),
      (result) => this.processSdpAnswer(result.sdpAnswer));
  }

  processSdpAnswer(sdp) {
    const peer = this._peer;
    if (!peer) return Promise.resolve();
    return peer.peerConnection.setRemoteDescription({ type: 'answer', sdp }).then(() => {
      if (this._peer !== peer) return;
      this._remoteSet = true;
      for (const c of this._candidates.splice(0)) this._applyCandidate(c);
      if (this.local && !this._showMyRemote) return;
      this._wrStream = peer.getRemoteStream();
      this._startSpeech();
      for (const v of this._videos) this._attach(v);
      this.room._emit('stream-subscribed', { stream: this });
    }, (e) => log.error(`cannot apply the answer for ${this.getGlobalID()}:`, e));
  }

  // Server candidates wait for the remote description.
  _addIceCandidate(candidate) {
    if (this._mirrored || !this._peer) return;
    if (!this._remoteSet) this._candidates.push(candidate);
    else this._applyCandidate(candidate);
  }
  _applyCandidate(candidate) {
    Promise.resolve(this._peer.peerConnection.addIceCandidate(candidate))
      .catch((e) => log.warn('addIceCandidate failed:', e));
  }

  _startSpeech() {
    this._stopSpeech();
    const id = this.getGlobalID();
    this._speech = new SpeechDetector(this._wrStream, this.room.thresholdSpeaker, (speaking) => {
      if (speaking) {
        this.room.addParticipantSpeaking(id);
        this.room._emit('stream-speaking', { participantId: id });
      } else {
        this.room.removeParticipantSpeaking(id);
        this.room._emit('stream-stopped-speaking', { participantId: id });
      }
    });
  }
  _stopSpeech() {
    if (this._speech) this._speech.stop();
    this._speech = null;
  }

  // Closes the peer connection (no RPC; room.disconnect sends it). Local media stays.
  unpublish() {
    if (this._peer) this._peer.dispose();
    this._peer = null;
    this._remoteSet = false;
    this._candidates = [];
    this._stopSpeech();
    if (this.local && !this._mirrored) this._wrStream = this._localMedia;
  }

  // Closes the peer, removes the elements created here, stops local media.
  dispose() {
    this.unpublish();
    for (const el of this._elements) el.remove();
    this._elements = [];
    this._videos = [];
    if (this._localMedia) for (const t of this._localMedia.getTracks()) t.stop();
    this._localMedia = null;
    if (!this._mirrored) this._wrStream = null;
  }

  _attach(entry) {
    const { video, thumbnailId } = entry;
    video.srcObject = this._wrStream;
    const shown = () => {
      setDisplay(thumbnailId, '');
      setDisplay('progress-' + this.getGlobalID(), 'none');
    };
    video.addEventListener('playing', shown, { once: true });
  }

  // <video id="native-video-<globalId>"> appended to parentElement (element or
  // id). Can be called before negotiation: the media is attached when it comes.
  playOnlyVideo(parentElement, thumbnailId) {
    const doc = globalThis.document;
    const video = doc.createElement('video');
    video.id = 'native-video-' + this.getGlobalID();
    video.autoplay = true;
    video.controls = false;
    video.playsInline = true;
    video.setAttribute('playsinline', '');
    if (this.local) video.muted = true;
    const entry = { video, thumbnailId };
    this._videos.push(entry);
    this._elements.push(video);
    if (this._wrStream) this._attach(entry);
    const parent = typeof parentElement === 'string' ? doc.getElementById(parentElement) : parentElement;
    if (parent) parent.appendChild(video);
    else log.error('playOnlyVideo: no element', parentElement);
    return video;
  }

  // Inside #thumbnailId: a spinner, and <div id="<globalId>" class="participant">
  // holding <div id="name-<globalId>" class="name"> and the video.
  playThumbnail(thumbnailId) {
    const doc = globalThis.document;
    const id = this.getGlobalID();
    const thumbnail = doc.getElementById(thumbnailId);
    if (!thumbnail) return log.error('playThumbnail: no element', thumbnailId);
    ensureSpinnerStyle(doc);
    const container = doc.createElement('div');
    container.className = 'participant';
    container.id = id;
    const name = doc.createElement('div');
    name.className = 'name';
    name.id = 'name-' + id;
    name.title = id;
    const nick = id.replace(/_webcam$/, '');
    name.textContent = nick.length > 16 ? nick.slice(0, 16) + '...' : nick;
    container.appendChild(name);
    const spinner = doc.createElement('div');
    spinner.id = 'progress-' + id;
    spinner.className = 'kurento-room-spinner';
    thumbnail.appendChild(spinner);
    thumbnail.appendChild(container);
    this._elements.push(spinner, container);
    return this.playOnlyVideo(container, thumbnailId);
  }
}

KurentoRoom.Room = Room;
KurentoRoom.Participant = Participant;
KurentoRoom.Stream = Stream;
KurentoRoom.defaults = DEFAULTS;
KurentoRoom.SIMULCAST_ENCODINGS = SIMULCAST_ENCODINGS;

export default KurentoRoom;
