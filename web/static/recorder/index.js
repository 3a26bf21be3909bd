// Recorder: Kurento's recorder tutorial. Record: camera → WebRtcEndpoint →
// itself and a RecorderEndpoint. Play: PlayerEndpoint → WebRtcEndpoint →
// the page, until EndOfStream.
(function () {
  'use strict';
  const args = demo.getopts({ ws_uri: demo.defaultWsUri(), ice_servers: undefined, file_uri: '' });
  const $ = (id) => document.getElementById(id);
  const ext = { WEBM: 'webm', MP4: 'mp4', MKV: 'mkv', WEBM_AUDIO_ONLY: 'webm' };
  let webRtcPeer, pipeline, client, fileUri, recorder;

  function status(text) { $('status').textContent = text; }
  function fileFor(profile) {
    return args.file_uri || 'recorder-demo-' + profile.toLowerCase() + '.' + ext[profile];
  }
  function showFile() { $('file').textContent = fileFor($('profile').value); }
  $('profile').addEventListener('change', showFile);
  showFile();

  function onError(error) {
    if (!error) return;
    console.error(error);
    $('error').textContent = demo.describeError(error);
    release();
    buttons('idle');
  }
  function release() {
    if (pipeline) { pipeline.release(); pipeline = null; }
    if (webRtcPeer) { webRtcPeer.dispose(); webRtcPeer = null; }
  }
  function buttons(mode) {
    $('record').disabled = mode !== 'idle';
    $('play').disabled = mode !== 'idle' || !fileUri;
    $('stop').disabled = mode === 'idle';
    $('profile').disabled = mode !== 'idle';
  }
  function withClient(cb) {
    if (client) return cb(client);
    demo.connect(args.ws_uri, 5000, function (error, c) {
      if (error) return onError(error);
      client = c;
      cb(c);
    });
  }

  // The tutorial's call order: pipeline, WebRtcEndpoint and RecorderEndpoint,
  // candidates, processOffer, gatherCandidates, connect, record.
  function startRecording(sdpOffer) {
    const profile = $('profile').value;
    const uri = fileFor(profile);
    withClient(function (client) {
      client.create('MediaPipeline', function (error, p) {
        if (error) return onError(error);
        pipeline = p;
        pipeline.create([{ type: 'WebRtcEndpoint', params: {} },
          { type: 'RecorderEndpoint', params: { uri: uri, mediaProfile: profile } }], function (error, elements) {
          if (error) return onError(error);
          const webRtc = elements[0];
          recorder = elements[1];
          recorder.on('Error', function (e) { onError(new Error('Recorder: ' + e.type + ': ' + e.description)); });
          recorder.on('Recording', function () { status('Recording ' + uri + ' (' + profile + ')… press Stop to finish.'); });
          recorder.on('Stopped', function () { status('Recorded ' + uri + '. Press Play to watch it.'); });
          demo.setIceCandidateCallbacks(webRtcPeer, webRtc, onError);
          webRtc.processOffer(sdpOffer, function (error, answer) {
            if (error) return onError(error);
            webRtc.gatherCandidates(onError);
            webRtcPeer.processAnswer(answer, onError);
          });
          // The tutorial's client.connect(webRtc, webRtc, recorder), one
          // connect at a time: kurento-client 7.3's three-element chain
          // never sends its second connect.
          webRtc.connect(webRtc, function (error) {
            if (error) return onError(error);
            webRtc.connect(recorder, function (error) {
              if (error) return onError(error);
              status('Waiting for the recorder…'); // until its Recording event
              fileUri = uri;
              recorder.record(onError);
            });
          });
        });
      });
    });
  }

  $('record').addEventListener('click', function () {
    $('error').textContent = '';
    buttons('recording');
    status('Starting camera…');
    const options = { localVideo: $('videoInput'), remoteVideo: $('videoOutput'),
      configuration: { iceServers: demo.iceServers(args.ice_servers) } };
    webRtcPeer = kurentoUtils.WebRtcPeer.WebRtcPeerSendrecv(options, function (error) {
      if (error) return onError(error);
      this.generateOffer(function (error, offer) {
        if (error) return onError(error);
        startRecording(offer);
      });
    });
  });

  $('stop').addEventListener('click', function () {
    $('stop').disabled = true;
    const p = pipeline, r = recorder;
    pipeline = recorder = null;
    if (webRtcPeer) { webRtcPeer.dispose(); webRtcPeer = null; }
    function done() {
      buttons('idle');
      status(fileUri ? 'Stopped. Press Play to watch ' + fileUri + '.' : 'Stopped.');
    }
    if (!p) return done();
    // As the tutorial: stop the recorder (the file is finished), release the pipeline.
    const finish = function () { p.release(function () { done(); }); };
    if (r) r.stopAndWait(finish); else finish();
  });

  $('play').addEventListener('click', function () {
    $('error').textContent = '';
    buttons('playing');
    status('Starting playback…');
    const options = { remoteVideo: $('videoOutput'), configuration: { iceServers: demo.iceServers(args.ice_servers) } };
    webRtcPeer = kurentoUtils.WebRtcPeer.WebRtcPeerRecvonly(options, function (error) {
      if (error) return onError(error);
      this.generateOffer(function (error, offer) {
        if (error) return onError(error);
        withClient(function (client) {
          client.create('MediaPipeline', function (error, p) {
            if (error) return onError(error);
            pipeline = p;
            // The player first: it announces its file's codecs to the pipeline.
            pipeline.create('PlayerEndpoint', { uri: fileUri }, function (error, player) {
              if (error) return onError(error);
              pipeline.create('WebRtcEndpoint', function (error, webRtc) {
                if (error) return onError(error);
                demo.setIceCandidateCallbacks(webRtcPeer, webRtc, onError);
                webRtc.processOffer(offer, function (error, answer) {
                  if (error) return onError(error);
                  webRtc.gatherCandidates(onError);
                  webRtcPeer.processAnswer(answer, onError);
                });
                player.on('Error', function (e) { onError(new Error('Player: ' + e.type + ': ' + e.description)); });
                player.on('EndOfStream', function () {
                  release();
                  buttons('idle');
                  status('End of the recording.');
                });
                player.connect(webRtc, function (error) {
                  if (error) return onError(error);
                  player.play(function (error) {
                    if (error) return onError(error);
                    status('Playing ' + fileUri + '…');
                  });
                });
              });
            });
          });
        });
      });
    });
  });
  window.addEventListener('beforeunload', release);
})();
