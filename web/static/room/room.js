// The group-call demo: KurentoRoom.js on Gorento's room server. Written after
// Kurento Room's demo: join form, a video per participant, main speaker,
// chat, leave, mute, and the hat custom request.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const wsUri = params.get('ws_uri') || (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/room';
  const apiBase = location.origin + '/room/api';

  // Everything the page knows, for the curious and for automated checks.
  const state = window.roomDemo = { state: 'idle', user: null, room: null, streams: {}, events: [], messages: [], errors: [] };
  let kurento, room, localStream, mainId, hatOn = false;

  if (params.get('room')) $('roomName').value = params.get('room');
  if (params.get('name')) $('name').value = params.get('name');

  function log(name, detail) { state.events.push(detail === undefined ? name : name + ':' + detail); }
  function showError(where, msg) {
    state.errors.push(msg);
    $(where).textContent = msg;
  }
  function status(text) { $('status').textContent = text; }

  $('join').addEventListener('submit', function (ev) {
    ev.preventDefault();
    $('joinError').textContent = '';
    const user = $('name').value.trim(), roomName = $('roomName').value.trim();
    if (!user || !roomName) return;
    $('joinBtn').disabled = true;
    state.state = 'connecting';
    roomUri(user, roomName).then(function (uri) { start(uri, user, roomName); });
  });

  // The room server wants an access token in the URL. A link may carry one
  // (?access_token=); otherwise the page asks the server, which hands them
  // out in development mode (in production an app server mints them).
  function roomUri(user, roomName) {
    const given = params.get('access_token');
    const withToken = (tok) => wsUri + (wsUri.includes('?') ? '&' : '?') + 'access_token=' + encodeURIComponent(tok);
    if (given) return Promise.resolve(withToken(given));
    return fetch(apiBase + '/tokens', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ identity: user, room: roomName }) })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (t) { state.token = !!(t && t.token); return t && t.token ? withToken(t.token) : wsUri; })
      .catch(function () { return wsUri; });
  }

  function start(uri, user, roomName) {
    kurento = KurentoRoom(uri, function (error, k) {
      if (error) {
        $('joinBtn').disabled = false;
        state.state = 'idle';
        return showError('joinError', 'Cannot reach the room server at ' + wsUri + ': ' + (error.message || error));
      }
      room = k.Room({ room: roomName, user: user, updateSpeakerInterval: 1500, thresholdSpeaker: -50 });
      // Simulcast (three layers) unless the link says ?simulcast=0.
      localStream = k.Stream(room, { audio: true, video: true, data: false, simulcast: params.get('simulcast') !== '0' });
      localStream.addEventListener('access-accepted', function () { listen(); room.connect(); });
      localStream.addEventListener('access-denied', function () {
        $('joinBtn').disabled = false;
        state.state = 'idle';
        showError('joinError', 'Camera or microphone access was denied. Allow it and try again.');
        k.close(true);
      });
      state.user = user;
      state.room = roomName;
      localStream.init();
    });
  }

  function listen() {
    room.addEventListener('room-connected', function (e) {
      log('room-connected', e.participants.length);
      state.state = 'joined';
      $('join').hidden = true;
      $('call').hidden = false;
      $('roomTitle').textContent = 'Room ' + state.room + ' — you are ' + state.user;
      $('where').textContent = '';
      localStream.publish();
      e.streams.forEach(function (s) { addStream(s, false); });
      status('Connected.');
    });
    room.addEventListener('error-room', function (e) {
      log('error-room');
      $('joinBtn').disabled = false;
      state.state = 'idle';
      showError('joinError', 'Cannot join: ' + (e.error && e.error.message || e.error));
      kurento.close(true);
    });
    room.addEventListener('stream-published', function (e) { log('stream-published'); addStream(e.stream, true); });
    room.addEventListener('stream-added', function (e) { log('stream-added', e.stream.getGlobalID()); addStream(e.stream); });
    room.addEventListener('stream-removed', function (e) { log('stream-removed', e.stream.getGlobalID()); removeStream(e.stream); });
    room.addEventListener('participant-published', function (e) { log('participant-published', e.participant.getID()); });
    room.addEventListener('participant-joined', function (e) { log('participant-joined', e.participant.getID()); system(e.participant.getID() + ' joined'); });
    room.addEventListener('participant-left', function (e) { log('participant-left', e.participant.getID()); system(e.participant.getID() + ' left'); });
    room.addEventListener('participant-evicted', function () { log('participant-evicted'); showError('callError', 'You were removed from the room.'); });
    room.addEventListener('newMessage', function (e) { log('newMessage', e.user); message(e.user, e.message); });
    room.addEventListener('error-media', function (e) { log('error-media'); showError('callError', 'Media error: ' + e.error); });
    room.addEventListener('room-closed', function () { log('room-closed'); showError('callError', 'The room was closed.'); teardown(); });
    room.addEventListener('lost-connection', function () { log('lost-connection'); status('Connection to the server lost; reconnecting…'); });
    room.addEventListener('stream-speaking', function (e) { mark(e.participantId, 'speaking', true); });
    room.addEventListener('stream-stopped-speaking', function (e) { mark(e.participantId, 'speaking', false); });
    room.addEventListener('update-main-speaker', function (e) { if (state.streams[e.participantId]) setMain(e.participantId); });
    room.addEventListener('custom-message-received', function (e) { log('custom-message-received'); });
  }

  function addStream(stream, local) {
    const gid = stream.getGlobalID();
    if (state.streams[gid]) return;
    const cell = document.createElement('div');
    cell.id = 'video-' + gid;
    cell.className = 'participant';
    cell.addEventListener('click', function () { setMain(gid); });
    $('participants').appendChild(cell);
    const video = stream.playOnlyVideo(cell, null);
    const label = document.createElement('div');
    label.className = 'name';
    label.textContent = stream.getParticipant().getID() + (local ? ' (you)' : '');
    cell.appendChild(label);
    state.streams[gid] = { stream, local: !!local, cell, video };
    if (!local) watchLayer(state.streams[gid]);
    if (!mainId || (!local && state.streams[mainId] && state.streams[mainId].local)) setMain(gid);
  }

  // The tile's overlay: the simulcast layer the server sends this viewer
  // (getReceivedLayer) and what the browser receives (bitrate, height, fps),
  // once a second. Also kept in state.streams[gid].layer for checks.
  function watchLayer(s) {
    const overlay = document.createElement('div');
    overlay.className = 'layer';
    overlay.textContent = '…';
    s.cell.appendChild(overlay);
    let last = null;
    s.timer = setInterval(function () {
      const peer = s.stream.getWebRtcPeer && s.stream.getWebRtcPeer();
      const pc = peer && peer.peerConnection;
      if (!pc) return;
      pc.getStats().then(function (report) {
        let rx = null;
        report.forEach(function (r) { if (r.type === 'inbound-rtp' && r.kind === 'video') rx = r; });
        if (!rx) return;
        const kbps = last ? Math.round((rx.bytesReceived - last.bytesReceived) * 8 / (rx.timestamp - last.timestamp)) : 0;
        last = rx;
        s.stream.getReceivedLayer(function (error, l) {
          const info = { kbps, height: rx.frameHeight || 0, fps: Math.round(rx.framesPerSecond || 0) };
          if (!error && l) {
            Object.assign(info, { simulcast: l.simulcast, layer: l.layer, targetLayer: l.targetLayer, layers: l.layers,
              temporalLayer: l.temporalLayer, temporalLayers: l.temporalLayers, targetBitrate: l.targetBitrate || 0 });
          }
          s.layer = info;
          // T<n>/<m>: the VP8 temporal layers sent (frame rate), when the stream has them.
          const temporal = info.temporalLayers > 0 ? ' T' + (info.temporalLayer + 1) + '/' + info.temporalLayers : '';
          const which = (info.simulcast
            ? 'layer ' + (info.layer + 1) + '/' + info.layers + (info.targetLayer !== info.layer ? ' → ' + (info.targetLayer + 1) : '')
            : 'single layer') + temporal;
          overlay.textContent = which + ' · ' + info.height + 'p ' + info.fps + 'fps · ' + info.kbps + ' kb/s';
          overlay.title = overlay.textContent;
        });
      }).catch(function () {});
    }, 1000);
  }

  function removeStream(stream) {
    const gid = stream.getGlobalID();
    const s = state.streams[gid];
    if (!s) return;
    if (s.timer) clearInterval(s.timer);
    s.cell.remove();
    delete state.streams[gid];
    if (mainId === gid) {
      mainId = null;
      $('main-video').innerHTML = '';
      $('mainName').textContent = '';
      const next = Object.keys(state.streams)[0];
      if (next) setMain(next);
    }
  }

  // The main view shows a second <video> on the same MediaStream.
  function setMain(gid) {
    const s = state.streams[gid];
    if (!s || mainId === gid) return;
    if (mainId && state.streams[mainId]) state.streams[mainId].cell.classList.remove('main');
    mainId = gid;
    s.cell.classList.add('main');
    const v = document.createElement('video');
    v.autoplay = true; v.playsInline = true; v.muted = true;
    v.srcObject = s.video.srcObject;
    if (!v.srcObject) s.video.addEventListener('loadedmetadata', function () { v.srcObject = s.video.srcObject; }, { once: true });
    $('main-video').replaceChildren(v);
    $('mainName').textContent = s.stream.getParticipant().getID() + (s.local ? ' (you)' : '');
  }

  function mark(gid, cls, on) {
    const s = state.streams[gid];
    if (s) s.cell.classList.toggle(cls, on);
  }

  function message(user, text) {
    state.messages.push({ user, text });
    const li = document.createElement('li');
    const b = document.createElement('b');
    b.textContent = user;
    li.append(b, document.createTextNode(text));
    $('messages').appendChild(li);
    li.scrollIntoView({ block: 'end' });
  }
  function system(text) {
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = text;
    $('messages').appendChild(li);
  }

  $('chatForm').addEventListener('submit', function (ev) {
    ev.preventDefault();
    const text = $('chatInput').value.trim();
    if (!text) return;
    kurento.sendMessage(state.room, state.user, text);
    $('chatInput').value = '';
  });

  function toggleTrack(kind, button, onText, offText) {
    const ms = localStream && localStream.getWrStream();
    if (!ms) return;
    const tracks = kind === 'audio' ? ms.getAudioTracks() : ms.getVideoTracks();
    const muted = button.getAttribute('aria-pressed') !== 'true';
    tracks.forEach(function (t) { t.enabled = !muted; });
    button.setAttribute('aria-pressed', String(muted));
    button.textContent = muted ? offText : onText;
  }
  $('muteAudio').addEventListener('click', function () { toggleTrack('audio', this, 'Mute microphone', 'Unmute microphone'); });
  $('muteVideo').addEventListener('click', function () { toggleTrack('video', this, 'Stop camera', 'Start camera'); });

  $('hat').addEventListener('click', function () {
    const want = !hatOn;
    $('callError').textContent = '';
    kurento.sendCustomRequest({ hat: want }, function (error) {
      if (error) return showError('callError', 'Hat: ' + (error.message || error));
      hatOn = want;
      $('hat').setAttribute('aria-pressed', String(hatOn));
      $('hat').textContent = hatOn ? 'Take off the hat' : 'Put on a hat';
    });
  });

  function teardown() {
    state.state = 'left';
    Object.values(state.streams).forEach(function (s) { if (s.timer) clearInterval(s.timer); s.cell.remove(); });
    state.streams = {};
    mainId = null;
    $('main-video').innerHTML = '';
    $('call').hidden = true;
    $('join').hidden = false;
    $('joinBtn').disabled = false;
  }

  $('buttonLeaveRoom').addEventListener('click', function () {
    if (kurento) kurento.close();
    teardown();
  });
  window.addEventListener('beforeunload', function () { if (kurento) kurento.close(); });

  // The seed's own call, for automated checks: kurento.sendCustomRequest
  // (e.g. {hat: true}), resolved with the response or rejected with the error.
  state.customRequest = function (params) {
    return new Promise(function (resolve, reject) {
      kurento.sendCustomRequest(params, function (error, response) { if (error) reject(error); else resolve(response); });
    });
  };

  // framesDecoded of every remote stream, for automated checks.
  state.decoded = async function () {
    const out = {};
    for (const [gid, s] of Object.entries(state.streams)) {
      if (s.local) continue;
      const peer = s.stream.getWebRtcPeer && s.stream.getWebRtcPeer();
      const pc = peer && peer.peerConnection;
      let frames = 0;
      if (pc) (await pc.getStats()).forEach(function (r) { if (r.type === 'inbound-rtp' && r.kind === 'video') frames = r.framesDecoded || 0; });
      out[gid] = { framesDecoded: frames, videoWidth: s.video ? s.video.videoWidth : 0 };
    }
    return out;
  };
})();
