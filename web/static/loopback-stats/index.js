// Loopback stats: the hello-world loopback plus live statistics from both
// sides, as numbers and as charts. Written for Gorento after Kurento's
// loopback-stats tutorial (same call sequence on the Kurento Protocol).
(function () {
  'use strict';
  const args = demo.getopts({ ws_uri: demo.defaultWsUri(), ice_servers: undefined, ice_transport_policy: undefined });
  const $ = (id) => document.getElementById(id);
  let webRtcPeer, pipeline, webRtcEndpoint, timer;

  // State the page exposes for automated checks (and the curious).
  const state = window.loopbackStats = { state: 'idle', errors: [], pipelineId: null, server: null, browser: null, samples: 0 };

  const charts = {
    bitrate: new LiveChart($('charts'), { title: 'Video bitrate', unit: 'kbps', series: [
      { name: 'browser sends', color: '#1f77b4' }, { name: 'server receives', color: '#2ca02c' },
      { name: 'server sends', color: '#ff7f0e' }, { name: 'browser receives', color: '#9467bd' }] }),
    loss: new LiveChart($('charts'), { title: 'Video packet loss', unit: '%', series: [
      { name: 'browser → server', color: '#d62728' }, { name: 'server → browser', color: '#8c564b' }] }),
    rtt: new LiveChart($('charts'), { title: 'Round-trip time', unit: 'ms', series: [
      { name: 'seen by browser', color: '#1f77b4' }, { name: 'seen by server', color: '#ff7f0e' }] }),
    jitter: new LiveChart($('charts'), { title: 'Video jitter', unit: 'ms', series: [
      { name: 'at server', color: '#2ca02c' }, { name: 'at browser', color: '#9467bd' }] }),
    latency: new LiveChart($('charts'), { title: 'Latency through the media server', unit: 'ms', series: [
      { name: 'video end to end', color: '#17becf' }, { name: 'audio end to end', color: '#bcbd22' }] }),
  };

  function status(text) { $('status').textContent = text; }
  function onError(error) {
    if (!error) return;
    console.error(error);
    const msg = demo.describeError(error);
    state.errors.push(msg);
    $('error').textContent = msg;
    stop();
  }
  function stop() {
    clearInterval(timer);
    timer = null;
    if (pipeline) { pipeline.release(); pipeline = null; }
    if (webRtcPeer) { webRtcPeer.dispose(); webRtcPeer = null; }
    if (state.state !== 'idle') state.state = 'stopped';
    $('start').disabled = false;
    $('stop').disabled = true;
  }

  $('start').addEventListener('click', function () {
    $('error').textContent = '';
    $('start').disabled = true;
    $('stop').disabled = false;
    state.state = 'starting';
    status('Starting camera…');
    let iceServers;
    try { iceServers = demo.iceServers(args.ice_servers); } catch (e) { return onError(e); }
    const configuration = { iceServers };
    // ?ice_transport_policy=relay: only through the TURN servers given (tests of impaired links).
    if (args.ice_transport_policy) configuration.iceTransportPolicy = args.ice_transport_policy;
    const options = { localVideo: $('videoInput'), remoteVideo: $('videoOutput'), configuration };
    webRtcPeer = kurentoUtils.WebRtcPeer.WebRtcPeerSendrecv(options, function (error) {
      if (error) return onError(error);
      this.generateOffer(onOffer);
    });
  });
  $('stop').addEventListener('click', function () { stop(); status('Stopped: the pipeline was released.'); });

  function onOffer(error, sdpOffer) {
    if (error) return onError(error);
    state.state = 'connecting';
    status('Connecting to ' + args.ws_uri + '…');
    demo.startLoopback({ wsUri: args.ws_uri, sdpOffer, webRtcPeer, latencyStats: true, onError,
      onPipeline: function (p) { pipeline = p; state.pipelineId = p.id; },
      onConnected: function (webRtc) {
        webRtcEndpoint = webRtc;
        status('Loopback established; waiting for media…');
        webRtc.on('MediaStateChanged', function (event) {
          if (event.newState === 'CONNECTED') {
            state.state = 'connected';
            status('Media is flowing. Statistics update every second.');
            if (!timer) timer = setInterval(collect, 1000);
          }
        });
      } });
  }

  // Previous counters, to turn totals into rates.
  let prev = {};
  function rate(key, bytes, now) {
    const p = prev[key];
    prev[key] = { bytes, now };
    if (!p || now <= p.now) return null;
    return (bytes - p.bytes) * 8 / (now - p.now); // bits per ms = kbps
  }
  function lossRate(key, lost, received) {
    const p = prev[key];
    prev[key] = { lost, received };
    if (!p) return null;
    const dl = lost - p.lost, dr = received - p.received;
    return dl + dr > 0 ? 100 * Math.max(dl, 0) / (dl + dr) : 0;
  }

  function collect() {
    if (!webRtcEndpoint || !webRtcPeer) return;
    const now = Date.now();
    Promise.all([serverStats(), browserStats()]).then(function ([server, browser]) {
      state.server = server;
      state.browser = browser;
      state.samples++;
      render(server, browser);
      const si = server.inVideo || {}, so = server.outVideo || {}, bo = browser.out || {}, bi = browser.in || {};
      charts.bitrate.push({
        'browser sends': rate('bo', bo.bytesSent || 0, now), 'server receives': rate('si', si.bytesReceived || 0, now),
        'server sends': rate('so', so.bytesSent || 0, now), 'browser receives': rate('bi', bi.bytesReceived || 0, now) });
      charts.loss.push({
        'browser → server': lossRate('lsi', si.packetsLost || 0, si.packetsReceived || 0),
        'server → browser': lossRate('lbi', bi.packetsLost || 0, bi.packetsReceived || 0) });
      charts.rtt.push({ 'seen by browser': browser.rttMs, 'seen by server': so.roundTripTime !== undefined ? so.roundTripTime * 1000 : null });
      charts.jitter.push({ 'at server': si.jitter !== undefined ? si.jitter * 1000 : null, 'at browser': bi.jitter !== undefined ? bi.jitter * 1000 : null });
      charts.latency.push({ 'video end to end': server.e2eVideoMs, 'audio end to end': server.e2eAudioMs });
    }).catch(function (e) { console.warn('stats', e); });
  }

  function getStats(mediaType) {
    return new Promise(function (resolve, reject) {
      webRtcEndpoint.getStats(mediaType, function (error, statsMap) {
        if (error) return reject(error);
        resolve(statsMap || {});
      });
    });
  }
  function serverStats() {
    return Promise.all([getStats('VIDEO'), getStats('AUDIO')]).then(function ([video, audio]) {
      const out = {};
      for (const key in video) {
        const s = video[key];
        if (s.type === 'inboundrtp') out.inVideo = s;
        else if (s.type === 'outboundrtp') out.outVideo = s;
        else if (s.type === 'endpoint') out.endpoint = s;
      }
      const ms = (list) => (list && list.length ? list[0].avg / 1e6 : null);
      out.e2eVideoMs = out.endpoint ? ms(out.endpoint.E2ELatency) : null;
      for (const key in audio) if (audio[key].type === 'endpoint') out.e2eAudioMs = ms(audio[key].E2ELatency);
      return out;
    });
  }
  function browserStats() {
    const pc = webRtcPeer.peerConnection;
    return pc.getStats().then(function (report) {
      const out = {};
      report.forEach(function (s) {
        if (s.type === 'outbound-rtp' && s.kind === 'video') out.out = s;
        else if (s.type === 'inbound-rtp' && s.kind === 'video') out.in = s;
        else if (s.type === 'remote-inbound-rtp' && s.kind === 'video') out.remoteIn = s;
        else if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') out.pair = s;
      });
      const rtt = out.remoteIn && out.remoteIn.roundTripTime !== undefined ? out.remoteIn.roundTripTime
        : out.pair && out.pair.currentRoundTripTime;
      out.rttMs = rtt !== undefined ? rtt * 1000 : null;
      return out;
    });
  }

  function table(id, rows) {
    const t = $(id);
    t.innerHTML = '';
    rows.forEach(function ([label, value]) {
      const tr = t.insertRow();
      tr.insertCell().textContent = label;
      tr.insertCell().textContent = value === undefined || value === null ? '–' : value;
    });
  }
  const n = (v, digits) => (typeof v === 'number' ? (digits !== undefined ? v.toFixed(digits) : v.toLocaleString()) : v);
  function render(server, browser) {
    const bo = browser.out || {}, bi = browser.in || {}, si = server.inVideo || {}, so = server.outVideo || {};
    table('browserOut', [['SSRC', bo.ssrc], ['Packets sent', n(bo.packetsSent)], ['Bytes sent', n(bo.bytesSent)],
      ['Frames encoded', n(bo.framesEncoded)], ['Resolution', bo.frameWidth ? bo.frameWidth + '×' + bo.frameHeight : null],
      ['NACK / PLI / FIR received', [bo.nackCount, bo.pliCount, bo.firCount].map((x) => x || 0).join(' / ')],
      ['Round-trip time (ms)', n(browser.rttMs, 1)]]);
    table('browserIn', [['SSRC', bi.ssrc], ['Packets received', n(bi.packetsReceived)], ['Bytes received', n(bi.bytesReceived)],
      ['Packets lost', n(bi.packetsLost)], ['Jitter (ms)', bi.jitter !== undefined ? n(bi.jitter * 1000, 1) : null],
      ['Frames decoded', n(bi.framesDecoded)], ['Frames per second', n(bi.framesPerSecond)],
      ['Resolution', bi.frameWidth ? bi.frameWidth + '×' + bi.frameHeight : null]]);
    table('serverIn', [['SSRC', si.ssrc], ['Packets received', n(si.packetsReceived)], ['Bytes received', n(si.bytesReceived)],
      ['Packets lost', n(si.packetsLost)], ['Fraction lost (/255)', n(si.fractionLost, 1)],
      ['Jitter (ms)', si.jitter !== undefined ? n(si.jitter * 1000, 2) : null],
      ['NACK / PLI / FIR sent', [si.nackCount, si.pliCount, si.firCount].map((x) => x || 0).join(' / ')],
      ['REMB sent (bps)', n(si.remb)]]);
    table('serverOut', [['SSRC', so.ssrc], ['Packets sent', n(so.packetsSent)], ['Bytes sent', n(so.bytesSent)],
      ['Packets lost (receiver reports)', n(so.packetsLost)], ['Round-trip time (ms)', so.roundTripTime !== undefined ? n(so.roundTripTime * 1000, 2) : null],
      ['NACK / PLI / FIR received', [so.nackCount, so.pliCount, so.firCount].map((x) => x || 0).join(' / ')],
      ['REMB received (bps)', n(so.remb)], ['Target bitrate (bps)', n(so.targetBitrate)]]);
    table('serverLatency', [['Video, end to end (ms)', n(server.e2eVideoMs, 3)], ['Audio, end to end (ms)', n(server.e2eAudioMs, 3)]]);
  }
  window.addEventListener('beforeunload', stop);
})();
