// Hello world: a WebRtcEndpoint connected to itself (Kurento's first tutorial).
(function () {
  'use strict';
  const args = demo.getopts({ ws_uri: demo.defaultWsUri(), ice_servers: undefined });
  demo.loopbackPage({ args, connectedText: function () { return 'Loopback established.'; } });
})();
