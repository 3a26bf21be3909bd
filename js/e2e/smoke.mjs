// Smoke test for the vendor bundles and the browser setup: serves web/static on
// 127.0.0.1, loads both bundles in headless Chromium and checks the globals and the
// fake camera. Run (after `npm run build`):  scripts/netns-run.sh npm --prefix js run smoke
import crypto from 'node:crypto';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from './browser.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/static');
for (const f of ['kurento-client.js', 'kurento-utils.js']) {
  if (!fs.existsSync(path.join(root, 'vendor', f))) {
    console.error(`smoke: ${path.join(root, 'vendor', f)} missing; run \`npm run build\` first`);
    process.exit(1);
  }
}
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };

// The test page lives in memory so the smoke test needs nothing in web/static but
// the vendor bundles it checks.
const PAGE = `<!doctype html><meta charset="utf-8"><title>smoke</title>
<script src="/vendor/kurento-client.js"></script>
<script src="/vendor/kurento-utils.js"></script>`;

// Minimal static file server: no directory listing, no path escapes.
const server = http.createServer((req, res) => {
  const p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (p === '/__smoke.html') {
    res.writeHead(200, { 'content-type': 'text/html' });
    return res.end(PAGE);
  }
  const file = path.join(root, path.normalize(p));
  if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404);
    return res.end('not found');
  }
  res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
});

// Just enough of a WebSocket server (RFC 6455 handshake, one client frame) to see
// that the bundled kurento-client opens its socket and sends its first JSON-RPC
// request (a "ping"). Replies are not needed for that.
let firstRpc;
server.on('upgrade', (req, socket) => {
  const accept = crypto.createHash('sha1')
    .update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
    + `Sec-WebSocket-Accept: ${accept}\r\n\r\n`);
  let buf = Buffer.alloc(0);
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    if (firstRpc || buf.length < 2) return;
    let len = buf[1] & 0x7f, off = 2; // client frames are always masked
    if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
    if (buf.length < off + 4 + len) return;
    const mask = buf.subarray(off, off + 4);
    const payload = Buffer.from(buf.subarray(off + 4, off + 4 + len).map((b, i) => b ^ mask[i % 4]));
    try { firstRpc = JSON.parse(payload.toString()); } catch { firstRpc = { method: `unparsable: ${payload}` }; }
  });
  socket.on('error', () => {});
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

const { context, close } = await launchBrowser();
let failed = 0, passed = 0;
try {
  const page = context.pages()[0] || (await context.newPage());
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(`${base}/__smoke.html`);
  const r = await page.evaluate(async (wsUri) => {
    const out = {
      kurentoClient: typeof kurentoClient,
      getComplexType: typeof kurentoClient?.getComplexType,
      register: typeof kurentoClient?.register,
      IceCandidate: typeof kurentoClient?.getComplexType?.('IceCandidate'),
      WebRtcPeerSendrecv: typeof kurentoUtils?.WebRtcPeer?.WebRtcPeerSendrecv,
      WebRtcPeerSendonly: typeof kurentoUtils?.WebRtcPeer?.WebRtcPeerSendonly,
      WebRtcPeerRecvonly: typeof kurentoUtils?.WebRtcPeer?.WebRtcPeerRecvonly,
      hark: typeof kurentoUtils?.WebRtcPeer?.hark,
    };
    try {
      const s = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
      out.getUserMedia = s.getTracks().map((t) => t.kind).sort().join('+');
      s.getTracks().forEach((t) => t.stop());
    } catch (e) {
      out.getUserMedia = `error: ${e.name}: ${e.message}`;
    }
    // kurentoClient(...) must hand back a promise that resolves once the WebSocket
    // is open: this runs reconnect-ws/websocket-stream on the browser's WebSocket
    // (with the process/Buffer shims). Not tested: an unreachable server, where
    // kurento-client with reconnect-ws@0.1.0 throws "Unhandled error." and never
    // settles, in Node as well; that is upstream behaviour, not the bundle's.
    try {
      const client = await Promise.race([kurentoClient(wsUri),
        new Promise((_, rej) => setTimeout(() => rej(new Error('timeout after 10s')), 10000))]);
      out.clientConnects = typeof client.create === 'function' ? 'yes' : 'no create()';
      await new Promise((r) => setTimeout(r, 200)); // let the first ping go out
      client.close();
    } catch (e) {
      out.clientConnects = `error: ${e.message}`;
    }
    // A real kurento-utils peer on the fake camera produces an SDP offer. Pass
    // iceServers: [] or kurento-utils fills in public STUN servers (freeice).
    try {
      const peer = await new Promise((resolve, reject) => {
        const p = kurentoUtils.WebRtcPeer.WebRtcPeerSendonly({
          mediaConstraints: { audio: true, video: true }, configuration: { iceServers: [] },
        }, (err) => (err ? reject(err) : resolve(p)));
      });
      const sdp = await new Promise((resolve, reject) =>
        peer.generateOffer((err, offer) => (err ? reject(err) : resolve(offer))));
      out.offer = ['m=audio', 'm=video', 'a=sendonly'].every((x) => sdp.includes(x)) ? 'ok' : sdp;
      out.stunServers = peer.peerConnection.getConfiguration().iceServers.length;
      peer.dispose();
    } catch (e) {
      out.offer = `error: ${e.name}: ${e.message}`;
    }
    return out;
  }, `ws://127.0.0.1:${server.address().port}/kurento`);
  r.firstRpc = firstRpc?.method;
  const want = {
    kurentoClient: 'function', getComplexType: 'function', register: 'function',
    IceCandidate: 'function', WebRtcPeerSendrecv: 'function', WebRtcPeerSendonly: 'function',
    WebRtcPeerRecvonly: 'function', hark: 'function', getUserMedia: 'audio+video',
    clientConnects: 'yes', firstRpc: 'ping', offer: 'ok', stunServers: 0,
  };
  for (const [k, v] of Object.entries(want)) {
    const ok = r[k] === v;
    if (ok) passed++; else failed++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${k} = ${r[k]}${ok ? '' : ` (want ${v})`}`);
  }
  for (const e of pageErrors) { failed++; console.log(`FAIL page error: ${e}`); }
} catch (e) {
  failed++;
  console.log(`FAIL ${e.stack || e}`);
} finally {
  await close();
  server.close();
}
// The plain 'N passed, N failed' line is what CI log readers recognise.
console.log(`smoke: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
