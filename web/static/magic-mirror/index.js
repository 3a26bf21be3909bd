// Magic mirror: WebRtcEndpoint → FaceOverlayFilter → WebRtcEndpoint, a hat
// over every face (Kurento's magic-mirror tutorial).
(function () {
  'use strict';
  const args = demo.getopts({ ws_uri: demo.defaultWsUri(), ice_servers: undefined,
    // The media server fetches the hat from its own web port, on loopback.
    hat_uri: location.protocol + '//127.0.0.1' + (location.port ? ':' + location.port : '') + '/img/hat.png' });
  // The hat: offsets and size are ratios of the face, as in the tutorial.
  function makeFilter(pipeline, done) {
    pipeline.create('FaceOverlayFilter', function (error, filter) {
      if (error) return done(error);
      filter.setOverlayedImage(args.hat_uri, -0.35, -1.2, 1.6, 1.6, function (error) { done(error, filter); });
    });
  }
  demo.loopbackPage({ args, makeFilter, connectedText: function () { return 'Magic mirror on: look at the camera.'; } });
})();
