// Drives the room demo for e2e/simulcast_test.go: "pub" publishes a 720p
// camera with KurentoRoom.js' default simulcast, "solo" joins with
// ?simulcast=0 (one layer). Each page's tile of the other shows the layer
// the server sends it, and both decode video.
// Usage: node js/e2e/simulcast.mjs <base url> <camera.y4m> <screenshot>
// Prints one JSON line: {"ok": true, ...} or {"phase": "error", ...}.
import { launchBrowser, screenshot as takeScreenshot } from './browser.mjs';

const [base, camera, screenshot] = process.argv.slice(2);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const { context, close } = await launchBrowser({ extraArgs: [`--use-file-for-fake-video-capture=${camera}`] });
const errors = [];
const step = (s) => process.stderr.write(`simulcast e2e: ${s}\n`);

// tile waits until the page's tile of gid satisfies ok(layer info, overlay text).
async function tile(page, gid, ok, what) {
  const deadline = Date.now() + 40000;
  for (;;) {
    const t = await page.evaluate((g) => {
      const s = window.roomDemo.streams[g];
      const o = document.querySelector(`#video-${g} .layer`);
      return { layer: s && s.layer || null, text: o ? o.textContent : '' };
    }, gid);
    if (t.layer && ok(t.layer, t.text)) return t;
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(t)}`);
    await page.waitForTimeout(500);
  }
}

try {
  const pages = {};
  for (const [name, query] of [['pub', ''], ['solo', '&simulcast=0']]) {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(`${name}: ${e}`));
    await page.goto(`${base}/room/?room=simulcast&name=${name}${query}`);
    await page.click('#joinBtn');
    await page.waitForFunction(() => window.roomDemo.state === 'joined' || window.roomDemo.errors.length, null, { timeout: 20000 });
    const st = await page.evaluate(() => ({ state: window.roomDemo.state, errors: window.roomDemo.errors }));
    if (st.state !== 'joined') throw new Error(`${name} did not join: ${JSON.stringify(st)}`);
    pages[name] = page;
  }
  step('both joined');
  // solo receives pub's simulcast: a layer of several, decoded, on the overlay.
  const viewed = await tile(pages.solo, 'pub_webcam',
    (l, text) => l.simulcast && l.layers >= 2 && l.layer >= 0 && l.fps > 0 && l.height > 0 && /^layer \d\/\d/.test(text),
    'solo does not show a simulcast layer of pub');
  step(`solo gets ${viewed.text}`);
  // A few seconds on: the viewer settles on the best layer its budget allows.
  await pages.solo.waitForTimeout(6000);
  const settled = await tile(pages.solo, 'pub_webcam', (l) => l.simulcast && l.fps > 0, 'solo stopped receiving pub');
  step(`then ${settled.text}`);
  const single = await tile(pages.pub, 'solo_webcam', (l, text) => !l.simulcast && l.fps > 0 && text.startsWith('single layer'),
    'pub does not show solo as a single layer');
  step(`pub gets ${single.text}`);
  // What pub's browser sends: its outbound video streams (one per layer).
  const sent = await pages.pub.evaluate(async () => {
    const s = window.roomDemo.streams['pub_webcam'];
    const pc = s.stream.getWebRtcPeer().peerConnection;
    const out = [];
    (await pc.getStats()).forEach((r) => { if (r.type === 'outbound-rtp' && r.kind === 'video') out.push({ rid: r.rid || '', height: r.frameHeight || 0, bytes: r.bytesSent }); });
    return out;
  });
  await takeScreenshot(pages.solo, screenshot);
  say({ ok: true, viewed, settled, single, sent, pageErrors: errors });
} catch (e) {
  say({ phase: 'error', error: String(e && e.stack || e), pageErrors: errors });
  process.exitCode = 1;
} finally {
  await close();
}
