// Injected into every page of the quality measurement (js/e2e/quality.mjs)
// before the page's own scripts, so unmodified apps (our room demo, the
// Kurento tutorials, a LiveKit page) can be measured on impaired links:
//   - every RTCPeerConnection gets cfg.ice merged into its configuration
//     (the impaired TURN relay as only ICE server, iceTransportPolicy "relay");
//   - getUserMedia asks for cfg.camera ({width, height, frameRate}) or, when
//     cfg.camera is null, for the microphone only (viewers publish no video,
//     which keeps 2 cores free for the publisher's encoder);
//   - cfg.degradation, when set, becomes the degradationPreference of every
//     video sender once its description is applied;
//   - cfg.jitterTarget (ms), when set, becomes the jitterBufferTarget of
//     every video receiver (experiments: does a viewer that waits longer for
//     repairs upstream lose fewer frames?);
//   - once a second every open connection's getStats() is summarised into
//     window.__quality.samples (see sample() for the fields).
// Called through page.addInitScript(fn, cfg): it must be self-contained.
function qualityPage(cfg) {
  const Native = window.RTCPeerConnection;
  const pcs = [];
  const q = window.__quality = { samples: [], errors: [], camera: null, degradation: [] };

  class MeasuredPeerConnection extends Native {
    constructor(config, ...rest) {
      super(Object.assign({}, config || {}, cfg.ice || {}), ...rest);
      pcs.push(this);
    }
    async setRemoteDescription(...args) {
      const r = await super.setRemoteDescription(...args);
      if (cfg.degradation) await preferDegradation(this);
      return r;
    }
  }
  window.RTCPeerConnection = MeasuredPeerConnection;

  async function preferDegradation(pc) {
    for (const s of pc.getSenders()) {
      if (!s.track || s.track.kind !== 'video') continue;
      try {
        const p = s.getParameters();
        if (p.degradationPreference === cfg.degradation) continue;
        p.degradationPreference = cfg.degradation;
        await s.setParameters(p);
        q.degradation.push(s.getParameters().degradationPreference);
      } catch (e) {
        q.errors.push('degradationPreference: ' + e);
      }
    }
  }

  const md = navigator.mediaDevices;
  const gum = md.getUserMedia.bind(md);
  md.getUserMedia = async (c) => {
    const want = cfg.camera
      ? { audio: !!(c && c.audio), video: { width: { ideal: cfg.camera.width }, height: { ideal: cfg.camera.height }, frameRate: { ideal: cfg.camera.frameRate } } }
      : { audio: true, video: false };
    const stream = await gum(want);
    const v = stream.getVideoTracks()[0];
    if (v) q.camera = v.getSettings();
    return stream;
  };

  const num = (v) => (typeof v === 'number' ? v : 0);
  // One summary of every open connection: the video sender (the publisher's
  // connection), the video receiver (a viewer's) and byte counts with headers.
  async function sample() {
    const s = { t: Date.now(), out: null, in: null, outBytes: 0, inBytes: 0 };
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      if (cfg.jitterTarget) {
        for (const r of pc.getReceivers()) {
          if (r.track && r.track.kind === 'video' && r.jitterBufferTarget !== cfg.jitterTarget) r.jitterBufferTarget = cfg.jitterTarget;
        }
      }
      const stats = await pc.getStats();
      let out = null, pairId = null;
      stats.forEach((r) => {
        if (r.type === 'transport' && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId;
        if (r.type === 'outbound-rtp') {
          s.outBytes += num(r.bytesSent) + num(r.headerBytesSent);
          if (r.kind === 'video') {
            // A simulcast publisher has one outbound stream per layer: bytes
            // are summed over them, the rest is the highest layer's.
            const layer = { rid: r.rid || '', height: num(r.frameHeight), fps: num(r.framesPerSecond), bytes: num(r.bytesSent) + num(r.headerBytesSent),
              retransmitted: num(r.retransmittedBytesSent), targetBitrate: num(r.targetBitrate), framesSent: num(r.framesSent),
              keyFrames: num(r.keyFramesEncoded), pli: num(r.pliCount), nack: num(r.nackCount), packets: num(r.packetsSent) };
            const prev = out;
            if (prev && (prev.frameHeight > layer.height || (prev.frameHeight === layer.height && prev.bytesSent >= num(r.bytesSent)))) {
              prev.videoBytesSent += layer.bytes;
              prev.layers.push(layer);
              return;
            }
            out = {
              bytesSent: num(r.bytesSent), headerBytesSent: num(r.headerBytesSent), retransmittedBytesSent: num(r.retransmittedBytesSent),
              framesEncoded: num(r.framesEncoded), framesSent: num(r.framesSent), frameWidth: num(r.frameWidth), frameHeight: num(r.frameHeight),
              fps: num(r.framesPerSecond), targetBitrate: num(r.targetBitrate), qualityLimitationReason: r.qualityLimitationReason || '',
              qualityLimitationDurations: r.qualityLimitationDurations || {}, nackCount: num(r.nackCount), pliCount: num(r.pliCount),
              totalEncodeTime: num(r.totalEncodeTime), encoder: r.encoderImplementation || '',
              videoBytesSent: layer.bytes + (prev ? prev.videoBytesSent : 0), layers: [...(prev ? prev.layers : []), layer],
            };
          }
        }
        if (r.type === 'inbound-rtp') {
          s.inBytes += num(r.bytesReceived) + num(r.headerBytesReceived);
          if (r.kind === 'video' && (!s.in || num(r.bytesReceived) > s.in.bytesReceived)) {
            s.in = {
              bytesReceived: num(r.bytesReceived), packetsReceived: num(r.packetsReceived), packetsLost: num(r.packetsLost),
              framesReceived: num(r.framesReceived), framesDecoded: num(r.framesDecoded), framesDropped: num(r.framesDropped),
              keyFramesDecoded: num(r.keyFramesDecoded), frameWidth: num(r.frameWidth), frameHeight: num(r.frameHeight),
              fps: num(r.framesPerSecond), freezeCount: num(r.freezeCount), totalFreezesDuration: num(r.totalFreezesDuration),
              pauseCount: num(r.pauseCount), totalPausesDuration: num(r.totalPausesDuration), nackCount: num(r.nackCount),
              pliCount: num(r.pliCount), firCount: num(r.firCount), jitterBufferDelay: num(r.jitterBufferDelay),
              jitterBufferEmittedCount: num(r.jitterBufferEmittedCount), jitterBufferTargetDelay: num(r.jitterBufferTargetDelay),
              jitterBufferMinimumDelay: num(r.jitterBufferMinimumDelay),
            };
          }
        }
      });
      if (out) {
        const pair = pairId && stats.get(pairId);
        const local = pair && stats.get(pair.localCandidateId);
        out.availableOutgoingBitrate = pair ? num(pair.availableOutgoingBitrate) : 0;
        out.rtt = pair ? num(pair.currentRoundTripTime) : 0;
        out.candidateType = local ? local.candidateType : '';
        stats.forEach((r) => {
          if (r.type === 'remote-inbound-rtp' && r.kind === 'video') {
            out.fractionLost = num(r.fractionLost); out.remotePacketsLost = num(r.packetsLost);
            // The round trip the sender knows from our receiver reports
            // (LSR/DLSR), per layer: libwebrtc resends a packet again only
            // once it has passed.
            out.remoteRtts = [...(out.remoteRtts || []), { ssrc: num(r.ssrc), rtt: num(r.roundTripTime), n: num(r.roundTripTimeMeasurements) }];
          }
        });
        s.out = out;
      }
      if (!s.candidateType && pairId) {
        const pair = stats.get(pairId);
        const local = pair && stats.get(pair.localCandidateId);
        if (local) s.candidateType = local.candidateType;
      }
    }
    // What the server sends this viewer (the room demo's tile overlay:
    // getReceivedLayer, refreshed once a second).
    const demo = window.roomDemo;
    if (demo && demo.streams) {
      for (const k of Object.keys(demo.streams)) {
        const st = demo.streams[k];
        if (!st.local && st.layer) s.layer = st.layer;
      }
    }
    q.samples.push(s);
    q.latest = s;
  }
  let busy = false;
  setInterval(() => {
    if (busy) return;
    busy = true;
    sample().catch((e) => q.errors.push('getStats: ' + e)).finally(() => { busy = false; });
  }, 1000);
}
