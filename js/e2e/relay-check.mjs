// Drives e2e/relay_test.go (the impaired-link harness's browser check): a headless Chromium page
// sends a canvas video track through one TURN relay only
// (iceTransportPolicy "relay") to a Pion answerer in the Go test.
// Usage: node js/e2e/relay-check.mjs '<RTCConfiguration JSON>'
// Prints {"phase":"offer","sdp":…}, reads {"sdp":…} (the answer) on stdin,
// then prints {"phase":"done",…} or {"phase":"error",…}.
import readline from 'node:readline';
import { launchBrowser } from './browser.mjs';

const config = JSON.parse(process.argv[2]);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const { context, close } = await launchBrowser();
try {
  const page = await context.newPage();
  const offer = await page.evaluate(async (cfg) => {
    const pc = window.pc = new RTCPeerConnection(cfg);
    const canvas = Object.assign(document.createElement('canvas'), { width: 320, height: 240 });
    const g = canvas.getContext('2d');
    let n = 0;
    setInterval(() => { g.fillStyle = `hsl(${(n++ * 7) % 360} 80% 50%)`; g.fillRect(0, 0, 320, 240); }, 33);
    pc.addTrack(canvas.captureStream(30).getVideoTracks()[0]);
    // Gathering may go on for a while (Chromium also tries IPv6 and retries
    // through the lossy relay): answer once a relay candidate is there.
    const types = [];
    let gotOne;
    const first = new Promise((ok) => { gotOne = ok; });
    pc.onicecandidate = (e) => { if (e.candidate) { types.push(e.candidate.type); gotOne(); } };
    await pc.setLocalDescription(await pc.createOffer());
    await Promise.race([first, new Promise((_, fail) => setTimeout(() => fail(new Error('no ICE candidate in 10 s')), 10000))]);
    await new Promise((ok) => setTimeout(ok, 300));
    return { sdp: pc.localDescription.sdp, candidateTypes: types };
  }, config);
  say({ phase: 'offer', ...offer });
  const answer = JSON.parse((await lines.next()).value);
  const result = await page.evaluate(async (sdp) => {
    const pc = window.pc;
    await pc.setRemoteDescription({ type: 'answer', sdp });
    await new Promise((ok, fail) => {
      if (pc.connectionState === 'connected') return ok();
      pc.onconnectionstatechange = () => {
        if (pc.connectionState === 'connected') ok();
        if (pc.connectionState === 'failed') fail(new Error('connection failed'));
      };
      setTimeout(() => fail(new Error(`not connected in 20 s: ${pc.connectionState}`)), 20000);
    });
    await new Promise((ok) => setTimeout(ok, 2000));
    const stats = await pc.getStats();
    let pair, packetsSent = 0;
    stats.forEach((r) => {
      if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId);
      if (r.type === 'outbound-rtp' && r.kind === 'video') packetsSent = r.packetsSent;
    });
    const local = pair && stats.get(pair.localCandidateId);
    const remote = pair && stats.get(pair.remoteCandidateId);
    return {
      state: pc.connectionState, packetsSent,
      local: local && { type: local.candidateType, address: local.address, port: local.port, relayProtocol: local.relayProtocol },
      remote: remote && { type: remote.candidateType, address: remote.address, port: remote.port },
    };
  }, answer.sdp);
  say({ phase: 'done', ...result });
} catch (e) {
  say({ phase: 'error', error: String(e && e.stack || e) });
  process.exitCode = 1;
} finally {
  await close();
}
