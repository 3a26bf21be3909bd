// RTP receiver: Kurento's rtp-receiver tutorial. RtpEndpoint (optionally
// with SDES crypto) → WebRtcEndpoint → the page; the RtpEndpoint answers
// the sender's SDP (c=0.0.0.0, VP8 + Opus) and the page shows the
// gst-launch-1.0 command that sends to the ports of that answer.
(function () {
  'use strict';
  const args = demo.getopts({ ws_uri: demo.defaultWsUri(), ice_servers: undefined });
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
  function randomKey() { return crypto.getRandomValues(new Uint8Array(30)); }
  const base64 = (bytes) => btoa(String.fromCharCode.apply(null, bytes));
  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

  // The sender's SDP, as the tutorial writes it.
  function senderSdp(senderKey) {
    const proto = senderKey ? 'RTP/SAVPF' : 'RTP/AVPF';
    const cryptoLine = senderKey ? 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:' + base64(senderKey) + '\r\n' : '';
    return 'v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=Kurento Tutorial - RTP Receiver\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n' +
      'm=audio 5006 ' + proto + ' 111\r\na=rtpmap:111 opus/48000/2\r\na=sendonly\r\na=direction:active\r\na=ssrc:445566 cname:user@example.com\r\n' + cryptoLine +
      'm=video 5004 ' + proto + ' 96\r\na=rtpmap:96 VP8/90000\r\na=sendonly\r\na=direction:active\r\na=ssrc:112233 cname:user@example.com\r\n' + cryptoLine;
  }

  // The gst-launch-1.0 command that sends to the answer's address and ports.
  function command(answer, senderKey) {
    const host = (/^c=IN IP[46] (\S+)/m.exec(answer) || [])[1] || '127.0.0.1';
    const port = (kind) => Number((new RegExp('^m=' + kind + ' (\\d+) ', 'm').exec(answer) || [])[1]);
    const srtp = (ssrc) => senderKey ? ' ssrc=' + ssrc + ' ! srtpenc key=' + hex(senderKey) +
      ' rtp-cipher=aes-128-icm rtp-auth=hmac-sha1-80 rtcp-cipher=aes-128-icm rtcp-auth=hmac-sha1-80' : ' ssrc=' + ssrc;
    $('command').dataset.videoPort = port('video');
    $('command').dataset.audioPort = port('audio');
    $('command').dataset.host = host;
    $('command').dataset.key = senderKey ? hex(senderKey) : '';
    return 'gst-launch-1.0 -e \\\n' +
      '  videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=480,framerate=30/1 \\\n' +
      '  ! vp8enc deadline=1 keyframe-max-dist=60 ! rtpvp8pay pt=96' + srtp(112233) + ' \\\n' +
      '  ! udpsink host=' + host + ' port=' + port('video') + ' \\\n' +
      '  audiotestsrc is-live=true wave=sine ! audio/x-raw,rate=48000,channels=2 \\\n' +
      '  ! opusenc ! rtpopuspay pt=111' + srtp(445566) + ' \\\n' +
      '  ! udpsink host=' + host + ' port=' + port('audio');
  }

  $('stop').addEventListener('click', function () { stop(); status('Stopped.'); $('command').hidden = true; });
  $('start').addEventListener('click', function () {
    $('error').textContent = '';
    $('start').disabled = true;
    $('stop').disabled = false;
    status('Connecting…');
    const senderKey = $('srtp').checked ? randomKey() : null;
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
            const params = senderKey ? { crypto: kurentoClient.getComplexType('SDES')({ keyBase64: base64(randomKey()), crypto: 'AES_128_CM_HMAC_SHA1_80' }) } : {};
            // The RtpEndpoint negotiates first: the browser is offered its codecs.
            pipeline.create('RtpEndpoint', params, function (error, rtpEp) {
              if (error) return onError(error);
              rtpEp.on('MediaFlowOutStateChanged', function (e) {
                if (e.mediaType === 'VIDEO') status(e.state === 'FLOWING' ? 'Receiving RTP.' : 'Waiting for RTP…');
              });
              rtpEp.processOffer(senderSdp(senderKey), function (error, answer) {
                if (error) return onError(error);
                pipeline.create('WebRtcEndpoint', function (error, webRtc) {
                  if (error) return onError(error);
                  demo.setIceCandidateCallbacks(webRtcPeer, webRtc, onError);
                  rtpEp.connect(webRtc, function (error) {
                    if (error) return onError(error);
                    webRtc.processOffer(offer, function (error, webAnswer) {
                      if (error) return onError(error);
                      webRtc.gatherCandidates(onError);
                      webRtcPeer.processAnswer(webAnswer, onError);
                      $('command').textContent = command(answer, senderKey);
                      $('command').hidden = false;
                      status('Waiting for RTP: run this command on the server’s machine.');
                    });
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
