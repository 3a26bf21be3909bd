// Injected after js/e2e/quality-page.js: once a second, every outbound video
// RTP stream of the page (one per simulcast layer) into window.__layers as
// {t, layers: [{rid, height, fps, bytes (payload + headers), frames, rtxBytes, nacks, plis}]}.
// quality-page.js summarises one outbound stream; a simulcast publisher's
// rate is the sum and its resolution the largest layer sent.
(() => {
  const Wrapped = window.RTCPeerConnection;
  const pcs = [];
  window.RTCPeerConnection = class extends Wrapped {
    constructor(...args) { super(...args); pcs.push(this); }
  };
  const out = window.__layers = [];
  const num = (v) => (typeof v === 'number' ? v : 0);
  setInterval(async () => {
    const layers = [];
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      try {
        (await pc.getStats()).forEach((r) => {
          if (r.type === 'outbound-rtp' && r.kind === 'video') {
            layers.push({ rid: r.rid || '', height: num(r.frameHeight), fps: num(r.framesPerSecond),
              bytes: num(r.bytesSent) + num(r.headerBytesSent), frames: num(r.framesSent),
              rtxBytes: num(r.retransmittedBytesSent), nacks: num(r.nackCount), plis: num(r.pliCount) });
          }
        });
      } catch (e) { /* a closing connection */ }
    }
    if (layers.length) out.push({ t: Date.now(), layers });
  }, 1000);
})();
