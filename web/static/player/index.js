// Player: Kurento's player tutorial with pause and seek. PlayerEndpoint →
// WebRtcEndpoint → the page; the slider follows getPosition and calls
// setPosition.
(function () {
  'use strict';
  const args = demo.getopts({ ws_uri: demo.defaultWsUri(), ice_servers: undefined });
  const $ = (id) => document.getElementById(id);
  let webRtcPeer, pipeline, player, timer, dragging = false;

  function status(text) { $('status').textContent = text; }
  function clock(ms) {
    const s = Math.floor(ms / 1000);
    return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
  }
  function onError(error) {
    if (!error) return;
    console.error(error);
    $('error').textContent = demo.describeError(error);
    stop();
  }
  function stop() {
    clearInterval(timer);
    if (pipeline) { pipeline.release(); pipeline = null; }
    if (webRtcPeer) { webRtcPeer.dispose(); webRtcPeer = null; }
    player = null;
    $('play').disabled = false;
    $('pause').disabled = $('stop').disabled = $('seek').disabled = true;
    $('pause').textContent = 'Pause';
  }
  function uri() { return $('sample').value || $('uri').value.trim(); }
  $('sample').addEventListener('change', function () { $('uri').hidden = $('sample').value !== ''; });

  function follow() {
    clearInterval(timer);
    timer = setInterval(function () {
      if (!player || dragging) return;
      player.getPosition(function (error, pos) {
        if (error || dragging) return;
        $('seek').value = pos;
        $('position').textContent = clock(pos);
      });
    }, 500);
  }

  function started(p) {
    player = p;
    $('pause').disabled = $('stop').disabled = false;
    p.getVideoInfo(function (error, info) {
      if (error) return onError(error);
      $('duration').textContent = info.duration > 0 ? clock(info.duration) : 'live';
      $('seekable').textContent = info.isSeekable ? '' : '(not seekable)';
      $('seek').max = info.seekableEnd;
      $('seek').disabled = !info.isSeekable;
    });
    follow();
  }

  $('seek').addEventListener('input', function () { dragging = true; $('position').textContent = clock($('seek').value); });
  $('seek').addEventListener('change', function () {
    const pos = Number($('seek').value);
    if (!player) return;
    player.setPosition(pos, function (error) {
      dragging = false;
      if (error) $('error').textContent = 'Seek failed: ' + demo.describeError(error);
    });
  });

  $('pause').addEventListener('click', function () {
    if (!player) return;
    if ($('pause').textContent === 'Pause') {
      player.pause(onError);
      $('pause').textContent = 'Resume';
      status('Paused.');
    } else {
      player.play(onError);
      $('pause').textContent = 'Pause';
      status('Playing ' + uri() + '…');
    }
  });
  $('stop').addEventListener('click', function () { stop(); status('Stopped.'); });

  $('play').addEventListener('click', function () {
    const source = uri();
    if (!source) { $('error').textContent = 'Enter a URI.'; return; }
    $('error').textContent = '';
    $('play').disabled = true;
    status('Connecting…');
    const options = { remoteVideo: $('videoOutput'), configuration: { iceServers: demo.iceServers(args.ice_servers) } };
    webRtcPeer = kurentoUtils.WebRtcPeer.WebRtcPeerRecvonly(options, function (error) {
      if (error) return onError(error);
      this.generateOffer(function (error, offer) {
        if (error) return onError(error);
        demo.connect(args.ws_uri, 5000, function (error, client) {
          if (error) return onError(error);
          client.create('MediaPipeline', function (error, p) {
            if (error) return onError(error);
            pipeline = p;
            // The player before the WebRtcEndpoint negotiates: the browser
            // is offered the file's codecs.
            pipeline.create('PlayerEndpoint', { uri: source }, function (error, pl) {
              if (error) return onError(error);
              pipeline.create('WebRtcEndpoint', function (error, webRtc) {
                if (error) return onError(error);
                demo.setIceCandidateCallbacks(webRtcPeer, webRtc, onError);
                webRtc.processOffer(offer, function (error, answer) {
                  if (error) return onError(error);
                  webRtc.gatherCandidates(onError);
                  webRtcPeer.processAnswer(answer, onError);
                });
                pl.on('Error', function (e) {
                  onError(new Error('Player: ' + e.type + ': ' + e.description +
                    (/^samples\//.test(source) ? ' (samples are made by ./dev run)' : '')));
                });
                pl.on('EndOfStream', function () { stop(); status('End of stream.'); });
                pl.connect(webRtc, function (error) {
                  if (error) return onError(error);
                  pl.play(function (error) {
                    if (error) return onError(error);
                    status('Playing ' + source + '…');
                    started(pl);
                  });
                });
              });
            });
          });
        });
      });
    });
  });
  window.addEventListener('beforeunload', stop);
})();
