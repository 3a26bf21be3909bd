// Drives e2e/simulcast_test.go's layer switching in Chromium: one page
// publishes a 720p camera in three simulcast layers (RID) to a
// WebRtcEndpoint and views it through a second WebRtcEndpoint, both made
// here with the real kurento-client. The viewer endpoint's
// maxVideoSendBandwidth then moves it down and up between layers; after
// each switch the page must keep decoding, at the new layer's height,
// without a long freeze.
// Usage: node js/e2e/simulcast-switch.mjs <base url> <camera.y4m>
// Prints one JSON line: {"ok": true, phases: [...]} or {"phase": "error", ...}.
import kurentoClient from 'kurento-client';
import { launchBrowser } from './browser.mjs';

const [base, camera] = process.argv.slice(2);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const step = (s) => process.stderr.write(`simulcast switch e2e: ${s}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const { context, close } = await launchBrowser({ extraArgs: [`--use-file-for-fake-video-capture=${camera}`] });
const errors = [];
let client;

// The page's side: a simulcast publisher and a viewer, each with its offer.
async function pageOffers(page) {
  return page.evaluate(async () => {
    const sim = window.sim = { cands: { pub: [], view: [] } };
    for (const side of ['pub', 'view']) {
      const pc = sim[side] = new RTCPeerConnection();
      pc.onicecandidate = (e) => { if (e.candidate && e.candidate.candidate) sim.cands[side].push(e.candidate.toJSON()); };
    }
    const media = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 } });
    sim.pub.addTransceiver(media.getVideoTracks()[0], { direction: 'sendonly', streams: [media], sendEncodings: [
      { rid: 'f', maxBitrate: 2500000 }, { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 600000 },
      { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150000 }] });
    sim.view.addTransceiver('video', { direction: 'recvonly' });
    sim.view.ontrack = (e) => {
      const v = document.createElement('video');
      v.autoplay = true; v.muted = true; v.playsInline = true;
      v.srcObject = new MediaStream([e.track]);
      document.body.appendChild(v);
    };
    const offers = {};
    for (const side of ['pub', 'view']) {
      await sim[side].setLocalDescription(await sim[side].createOffer());
      offers[side] = sim[side].localDescription.sdp;
    }
    return offers;
  });
}

// connect negotiates one side of the page with an endpoint and trickles ICE both ways.
async function connect(page, side, ep, offer) {
  ep.on('IceCandidateFound', (e) => {
    page.evaluate(([s, c]) => window.sim[s].addIceCandidate(c), [side, e.candidate]).catch((err) => errors.push(String(err)));
  });
  const answer = await ep.processOffer(offer);
  await page.evaluate(([s, sdp]) => window.sim[s].setRemoteDescription({ type: 'answer', sdp }), [side, answer]);
  await ep.gatherCandidates();
  await page.waitForFunction((s) => window.sim[s].iceGatheringState === 'complete', side, { timeout: 10000 });
  for (const c of await page.evaluate((s) => window.sim.cands[s], side)) {
    await ep.addIceCandidate(kurentoClient.getComplexType('IceCandidate')(c));
  }
}

// viewer samples the page's received video.
const viewer = (page) => page.evaluate(async () => {
  let v = {};
  (await window.sim.view.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') v = r; });
  return { framesDecoded: v.framesDecoded || 0, frameHeight: v.frameHeight || 0, freezes: v.freezeCount || 0,
    freezeSeconds: v.totalFreezesDuration || 0, keyFrames: v.keyFramesDecoded || 0 };
});

// sent is the viewer endpoint's outbound video entry (the simulcast* fields).
async function sent(ep) {
  const stats = await ep.getStats('VIDEO');
  return Object.values(stats).find((s) => s.type === 'outboundrtp') || {};
}

try {
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/`);
  client = await kurentoClient(base.replace(/^http/, 'ws') + '/kurento');
  const pipeline = await client.create('MediaPipeline');
  const pubEp = await pipeline.create('WebRtcEndpoint');
  const viewEp = await pipeline.create('WebRtcEndpoint');
  await viewEp.setMaxVideoSendBandwidth(3000);
  await viewEp.setMinVideoSendBandwidth(3000);
  await pubEp.connect(viewEp);
  const offers = await pageOffers(page);
  await connect(page, 'pub', pubEp, offers.pub);
  await connect(page, 'view', viewEp, offers.view);
  step('negotiated');
  const phases = [];
  // Each phase: the layers the publisher sends (f, h, q), the layer the
  // viewer must get (-2: an upper one), then 4 s of decoding.
  const setActive = (active) => page.evaluate(async (act) => {
    const sender = window.sim.pub.getSenders()[0];
    const p = sender.getParameters();
    p.encodings.forEach((e, i) => { e.active = act[i]; });
    await sender.setParameters(p);
  }, active);
  // The last two phases also set the viewer's send bandwidth: 'temporal'
  // below the lowest layer's full rate — with temporal layers (Chrome's
  // simulcast VP8 is L1T3) the viewer gets that layer's base temporal layer
  // (tl 0) —, 'temporal up' back to 3 Mb/s: every temporal layer again (tl
  // 2), switched up at layer-sync frames.
  for (const [name, active, want, kbps, tl] of [['start', [true, true, true], -2], ['down', [false, false, true], 0],
    ['up', [true, true, true], -2], ['down again', [false, false, true], 0], ['temporal', [false, false, true], 0, 40, 0],
    ['temporal up', [false, false, true], 0, 3000, 2]]) {
    await setActive(active);
    if (kbps) {
      const limits = [() => viewEp.setMinVideoSendBandwidth(kbps), () => viewEp.setMaxVideoSendBandwidth(kbps)];
      if (kbps >= 1000) limits.reverse(); // never min > max
      for (const set of limits) await set();
    }
    const deadline = Date.now() + 25000;
    let s;
    for (;;) {
      s = await sent(viewEp);
      const layers = s.simulcastLayers || 0;
      // -2: an upper layer (the top one, or the middle one while the
      // publisher starves its top layer: the server passes over a layer at
      // under a third of the frame rate of a lower one).
      const ok = (want === -2 ? s.simulcastLayer >= 1 : s.simulcastLayer === want) &&
        (tl === undefined || !(s.temporalLayers > 1) || s.temporalLayer === tl);
      if (layers >= 1 && ok && s.simulcastLayer === s.simulcastTargetLayer) break;
      if (Date.now() > deadline) throw new Error(`phase ${name}: the viewer endpoint sends ${JSON.stringify(s)}`);
      await sleep(300);
    }
    const at = Date.now();
    const before = await viewer(page);
    await sleep(4000);
    const after = await viewer(page);
    const end = await sent(viewEp); // the layer may have moved up meanwhile
    const published = await page.evaluate(async () => {
      const out = {};
      (await window.sim.pub.getStats()).forEach((r) => {
        if (r.type === 'outbound-rtp' && r.kind === 'video') out[r.rid] = { fps: r.framesPerSecond || 0, height: r.frameHeight || 0, limit: r.qualityLimitationReason, active: r.active, scalabilityMode: r.scalabilityMode };
      });
      return out;
    });
    phases.push({ name, published, layer: s.simulcastLayer, layerAfter: end.simulcastLayer, layers: s.simulcastLayers, layerBitrate: s.simulcastLayerBitrate,
      switches: s.simulcastLayerSwitches, temporalLayer: end.temporalLayer, temporalLayers: end.temporalLayers, before, after, ms: Date.now() - at });
    step(`${name}: layer ${s.simulcastLayer}/${s.simulcastLayers}, temporal ${end.temporalLayer}/${end.temporalLayers}, ${after.frameHeight}p, ` +
      `${after.framesDecoded - before.framesDecoded} frames in 4 s, freezes ${after.freezeSeconds.toFixed(2)} s; publisher sends ${JSON.stringify(published)}`);
  }
  await pipeline.release();
  say({ ok: true, phases, pageErrors: errors });
} catch (e) {
  say({ phase: 'error', error: String(e && e.stack || e), pageErrors: errors });
  process.exitCode = 1;
} finally {
  if (client) client.close();
  await close();
}
