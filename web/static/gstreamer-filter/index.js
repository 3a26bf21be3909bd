// GStreamerFilter: WebRtcEndpoint → GStreamerFilter (the chosen effect) →
// WebRtcEndpoint.
(function () {
  'use strict';
  const args = demo.getopts({ ws_uri: demo.defaultWsUri(), ice_servers: undefined });
  const effect = document.getElementById('effect');
  function makeFilter(pipeline, done) {
    pipeline.create('GStreamerFilter', { command: effect.value, filterType: 'VIDEO' }, done);
  }
  const page = demo.loopbackPage({ args, makeFilter, connectedText: function () { return 'Filter on: ' + effect.value; } });
  effect.addEventListener('change', function () { if (page.running()) page.restart(); });
})();
