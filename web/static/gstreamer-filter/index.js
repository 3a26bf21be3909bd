// GStreamerFilter: WebRtcEndpoint → GStreamerFilter (a chosen effect) →
// WebRtcEndpoint.
(function () {
  'use strict';
  const args = demo.getopts({ ws_uri: demo.defaultWsUri(), ice_servers: undefined,
  });
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
  function makeFilter(p, done) {
    p.create('GStreamerFilter', { command: $('effect').value, filterType: 'VIDEO' }, done);
  }
  $('effect').addEventListener('change', function () {
    if (!pipeline) return;
    stop();
    $('start').click();
  });
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
      onConnected: function () { status('Filter on: ' + $('effect').value); } });
  }
  window.addEventListener('beforeunload', stop);
})();
