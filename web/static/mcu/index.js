// Group call (MCU): each browser → WebRtcEndpoint ⇄ HubPort of one shared
// Composite per call name. The page finds the call's pipeline by name among
// the server's pipelines (Kurento objects are shared between sessions), or
// creates it; the server's garbage collector releases it once nobody uses it.
(function () {
  'use strict';
  const args = demo.getopts({ ws_uri: demo.defaultWsUri(), ice_servers: undefined });
  const $ = (id) => document.getElementById(id);
  const state = { client: null, webRtcPeer: null, endpoint: null, port: null, errors: [], joined: false };
  window.mcuDemo = state; // for the end-to-end test

  function status(text) { $('status').textContent = text; }
  function onError(error) {
    if (!error) return;
    console.error(error);
    state.errors.push(String(error.message || error));
    $('error').textContent = demo.describeError(error);
    leave();
  }

  // The call's pipeline is named "gorento-mcu:<call>"; its Composite is its
  // child. Two browsers creating a call at once each make one: the second
  // finds the first's on its next join.
  function findCall(client, name, done) {
    client.getServerManager(function (error, manager) {
      if (error) return done(error);
      manager.getPipelines(function (error, pipelines) {
        if (error) return done(error);
        let pending = pipelines.length, found = null;
        if (!pending) return done(null, null);
        pipelines.forEach(function (p) {
          p.getName(function (error, n) {
            if (!error && n === name && !found) found = p;
            if (--pending === 0) done(null, found);
          });
        });
      });
    });
  }

  function compositeOf(pipeline, done) {
    pipeline.getChildren(function (error, children) {
      if (error) return done(error);
      const composite = children.find(function (c) { return /_kurento\.Composite$/.test(c.id); });
      if (composite) return done(null, composite);
      pipeline.create('Composite', done);
    });
  }

  function joinCall(client, name, done) {
    findCall(client, name, function (error, pipeline) {
      if (error) return done(error);
      if (pipeline) return compositeOf(pipeline, function (error, c) { done(error, pipeline, c); });
      client.create('MediaPipeline', function (error, p) {
        if (error) return done(error);
        p.setName(name, function (error) {
          if (error) return done(error);
          compositeOf(p, function (error, c) { done(error, p, c); });
        });
      });
    });
  }

  function onOffer(error, sdpOffer) {
    if (error) return onError(error);
    const name = 'gorento-mcu:' + ($('call').value || 'mcu');
    status('Connecting to ' + args.ws_uri + '…');
    demo.connect(args.ws_uri, 5000, function (error, client) {
      if (error) return onError(error);
      state.client = client;
      joinCall(client, name, function (error, pipeline, composite) {
        if (error) return onError(error);
        pipeline.create('WebRtcEndpoint', function (error, endpoint) {
          if (error) return onError(error);
          state.endpoint = endpoint;
          pipeline.create('HubPort', { hub: composite }, function (error, port) {
            if (error) return onError(error);
            state.port = port;
            demo.setIceCandidateCallbacks(state.webRtcPeer, endpoint, onError);
            endpoint.connect(port, function (error) {
              if (error) return onError(error);
              port.connect(endpoint, function (error) {
                if (error) return onError(error);
                endpoint.processOffer(sdpOffer, function (error, sdpAnswer) {
                  if (error) return onError(error);
                  endpoint.gatherCandidates(onError);
                  state.webRtcPeer.processAnswer(sdpAnswer, onError);
                  state.joined = true;
                  status('In call "' + $('call').value + '": everyone sees the grid and hears the others.');
                });
              });
            });
          });
        });
      });
    });
  }

  function join() {
    $('error').textContent = '';
    $('join').disabled = true;
    $('leave').disabled = false;
    status('Starting camera…');
    const options = { localVideo: $('videoInput'), remoteVideo: $('videoOutput'),
      configuration: { iceServers: demo.iceServers(args.ice_servers) } };
    state.webRtcPeer = kurentoUtils.WebRtcPeer.WebRtcPeerSendrecv(options, function (error) {
      if (error) return onError(error);
      this.generateOffer(onOffer);
    });
  }

  // Leaving releases this participant's endpoint and port; the call goes on.
  // The client closes once the releases are answered (a page closing
  // before that leaves them to the server's garbage collector).
  function leave() {
    const client = state.client, owned = [state.port, state.endpoint].filter(Boolean);
    state.client = state.port = state.endpoint = null;
    if (state.webRtcPeer) { state.webRtcPeer.dispose(); state.webRtcPeer = null; }
    let pending = owned.length;
    const released = function () { if (--pending === 0 && client) client.close(); };
    owned.forEach(function (o) { o.release(released); });
    if (!owned.length && client) client.close();
    state.joined = false;
    $('join').disabled = false;
    $('leave').disabled = true;
  }

  $('join').addEventListener('click', join);
  $('leave').addEventListener('click', function () { leave(); status('Left the call.'); });
  window.addEventListener('beforeunload', leave);
})();
