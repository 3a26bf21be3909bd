// Magic mirror: WebRtcEndpoint → FaceOverlayFilter → WebRtcEndpoint, the hat
// over every face (Kurento's magic-mirror tutorial).
(function () {
  'use strict';
  const args = demo.getopts({ ws_uri: demo.defaultWsUri(), ice_servers: undefined,
    // The media server fetches the hat from its own web port, on loopback.
    hat_uri: location.protocol + '//127.0.0.1' + (location.port ? ':' + location.port : '') + '/img/hat.png' });
  const $ = (id) => document.getElementById(id);
  let webRtcPeer, pipeline;

  function status(text) { $('status').textContent = text; }
  function onError(error) {
    if (!error) return;
    console.error(error);
    $('error').textContent = demo.describeError(error);
    stop();
  }
  function stop() {
    if (pipeline) { pipeline.release(); pipeline = null; }
    if (webRtcPeer) { webRtcPeer.dispose(); webRtcPeer = null; }
    $('start').disabled = false;
    $('stop').disabled = true;
  }
  // The hat: offsets and size are ratios of the face, as in the tutorial.
  function makeFilter(p, done) {
    p.create('FaceOverlayFilter', function (error, filter) {
      if (error) return done(error);
      filter.setOverlayedImage(args.hat_uri, -0.35, -1.2, 1.6, 1.6, function (error) {
        done(error, filter);
      });
    });
  }
  $('start').addEventListener('click', function () {
    $('error').textContent = '';
    $('start').disabled = true;
    $('stop').disabled = false;
    status('Starting camera…');
    const options = { localVideo: $('videoInput'), remoteVideo: $('videoOutput'),
      configuration: { iceServers: demo.iceServers(args.ice_servers) } };
    webRtcPeer = kurentoUtils.WebRtcPeer.WebRtcPeerSendrecv(options, function (error) {
      if (error) return onError(error);
      this.generateOffer(onOffer);
    });
  });
  $('stop').addEventListener('click', function () { stop(); status('Stopped.'); });

  function onOffer(error, sdpOffer) {
    if (error) return onError(error);
    status('Connecting to ' + args.ws_uri + '…');
    demo.startLoopback({ wsUri: args.ws_uri, sdpOffer, webRtcPeer, onError, makeFilter,
      onPipeline: function (p) { pipeline = p; },
      onConnected: function () { status('Magic mirror on: look at the camera.'); } });
  }
  window.addEventListener('beforeunload', stop);
})();
