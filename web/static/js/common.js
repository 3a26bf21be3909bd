// Helpers shared by the Kurento tutorial demos served by Gorento.
(function (global) {
  'use strict';
  // Query-string options, as the tutorials' getopts: ?ws_uri=...&ice_servers=[...]
  function getopts(defaults) {
    const out = Object.assign({}, defaults);
    const q = new URLSearchParams(location.search);
    for (const [k, v] of q) out[k] = v;
    return out;
  }
  // The Kurento Protocol endpoint of the server that serves the page: the
  // same origin, so a self-signed certificate needs accepting only once.
  // (The original tutorials default to wss://<host>:8433/kurento; Gorento
  // listens there too, and ?ws_uri= overrides either.)
  function defaultWsUri() {
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/kurento';
  }
  function iceServers(arg) {
    if (!arg) return [];
    try { return JSON.parse(arg); } catch (e) { throw new Error('ice_servers must be a JSON array: ' + e.message); }
  }
  // kurentoClient with a timeout: an unreachable server would otherwise
  // leave the page waiting for ever (the client retries silently).
  function connect(wsUri, timeoutMs, cb) {
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      cb(new Error('Cannot reach the media server at ' + wsUri + ' (is gorento running? is the URL right?)'));
    }, timeoutMs);
    try {
      // A Kurento port with a secret: open the page with ?access_token=<secret>
      // (kurento-client's own option puts it in the WebSocket URL).
      const secret = new URLSearchParams(location.search).get('access_token');
      kurentoClient(wsUri, secret ? { access_token: secret } : {}, function (error, client) {
        if (done) { if (client) client.close(); return; }
        done = true;
        clearTimeout(timer);
        cb(error, client);
      });
    } catch (e) {
      clearTimeout(timer);
      done = true;
      cb(e);
    }
  }
  // Browser candidates go to the endpoint and the endpoint's to the browser.
  function setIceCandidateCallbacks(webRtcPeer, webRtcEp, onError) {
    webRtcPeer.on('icecandidate', function (candidate) {
      candidate = kurentoClient.getComplexType('IceCandidate')(candidate);
      webRtcEp.addIceCandidate(candidate, onError);
    });
    webRtcEp.on('IceCandidateFound', function (event) {
      webRtcPeer.addIceCandidate(event.candidate, onError);
    });
  }
  // The tutorials' loopback: a pipeline with one WebRtcEndpoint connected to
  // itself, in their call order (pipeline, [latency stats,] endpoint,
  // candidates, processOffer then gatherCandidates, connect).
  // opts: {wsUri, sdpOffer, webRtcPeer, latencyStats, onError, onPipeline(p),
  // onConnected(webRtcEndpoint)}.
  function startLoopback(opts) {
    const onError = opts.onError;
    connect(opts.wsUri, 5000, function (error, client) {
      if (error) return onError(error);
      client.create('MediaPipeline', function (error, pipeline) {
        if (error) return onError(error);
        opts.onPipeline(pipeline);
        if (opts.latencyStats) pipeline.setLatencyStats(true, function (error) { if (error) onError(error); });
        pipeline.create('WebRtcEndpoint', function (error, webRtc) {
          if (error) return onError(error);
          setIceCandidateCallbacks(opts.webRtcPeer, webRtc, onError);
          webRtc.processOffer(opts.sdpOffer, function (error, sdpAnswer) {
            if (error) return onError(error);
            webRtc.gatherCandidates(onError);
            opts.webRtcPeer.processAnswer(sdpAnswer, onError);
          });
          if (!opts.makeFilter) {
            webRtc.connect(webRtc, function (error) {
              if (error) return onError(error);
              opts.onConnected(webRtc);
            });
            return;
          }
          // With a filter: webRtc → filter → webRtc (the filter tutorials).
          opts.makeFilter(pipeline, function (error, filter) {
            if (error) return onError(error);
            webRtc.connect(filter, function (error) {
              if (error) return onError(error);
              filter.connect(webRtc, function (error) {
                if (error) return onError(error);
                opts.onConnected(webRtc, filter);
              });
            });
          });
        });
      });
    });
  }
  function describeError(error) {
    if (!error) return '';
    const name = error.name || '';
    if (name === 'NotAllowedError' || name === 'PermissionDeniedError' || /Permission denied/i.test(String(error.message)))
      return 'Camera or microphone access was denied. Allow it in the browser and try again.';
    if (name === 'NotFoundError') return 'No camera or microphone was found.';
    if (error.code) return 'Media server error ' + error.code + (error.data && error.data.type ? ' ' + error.data.type : '') + ': ' + error.message;
    return String(error.message || error);
  }
  // loopbackPage wires a loopback page (#start, #stop, #status, #error,
  // #videoInput, #videoOutput): camera → WebRtcEndpoint [→ filter] → back.
  // opts: makeFilter(pipeline, done) (optional), connectedText(), args.
  function loopbackPage(opts) {
    const args = opts.args;
    const $ = (id) => document.getElementById(id);
    let webRtcPeer, pipeline;
    function status(text) { $('status').textContent = text; }
    function onError(error) {
      if (!error) return;
      console.error(error);
      $('error').textContent = describeError(error);
      stop();
    }
    function stop() {
      if (pipeline) { pipeline.release(); pipeline = null; }
      if (webRtcPeer) { webRtcPeer.dispose(); webRtcPeer = null; }
      $('start').disabled = false;
      $('stop').disabled = true;
    }
    function onOffer(error, sdpOffer) {
      if (error) return onError(error);
      status('Connecting to ' + args.ws_uri + '…');
      startLoopback({ wsUri: args.ws_uri, sdpOffer, webRtcPeer, onError, makeFilter: opts.makeFilter,
        onPipeline: function (p) { pipeline = p; },
        onConnected: function () { status(opts.connectedText()); } });
    }
    $('start').addEventListener('click', function () {
      $('error').textContent = '';
      $('start').disabled = true;
      $('stop').disabled = false;
      status('Starting camera…');
      const options = { localVideo: $('videoInput'), remoteVideo: $('videoOutput'),
        configuration: { iceServers: iceServers(args.ice_servers) } };
      webRtcPeer = kurentoUtils.WebRtcPeer.WebRtcPeerSendrecv(options, function (error) {
        if (error) return onError(error);
        this.generateOffer(onOffer);
      });
    });
    $('stop').addEventListener('click', function () { stop(); status('Stopped.'); });
    window.addEventListener('beforeunload', stop);
    return { running: function () { return pipeline != null; }, restart: function () { stop(); $('start').click(); } };
  }
  global.demo = { getopts, defaultWsUri, iceServers, connect, setIceCandidateCallbacks, startLoopback, describeError, loopbackPage };
})(window);
