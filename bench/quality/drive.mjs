// Drives gorento-bench quality (bench/internal/quality): the pages of one
// condition in one headless Chromium whose fake camera plays a Y4M file, with
// js/e2e/quality-page.js injected into each (the impaired relay merged into
// every RTCPeerConnection, the publisher's camera 1280×720@30, viewers
// microphone-only, getStats once a second) plus layers.js (every outbound
// video layer of the publisher, for simulcast). The same driver runs both
// servers: gorento's room demo (KurentoRoom.js, join button) and
// livekit.html (livekit-client, joins by itself).
//
// Usage: node bench/quality/drive.mjs '<spec JSON>'
//   spec: {server: "gorento"|"livekit", y4m, degradation, pages: [{name, url, camera, ice}]}
// Protocol as js/e2e/quality.mjs: {"phase":"ready",…} once every viewer
// decodes, then "stop" on stdin, then {"phase":"done","pages":{…}}.
import fs from 'node:fs';
import readline from 'node:readline';
import { launchBrowser } from '../../js/e2e/browser.mjs';

const spec = JSON.parse(process.argv[2]);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const step = (s) => process.stderr.write(`quality ${spec.server}: ${s}\n`);
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const pageScript = fs.readFileSync(new URL('../../js/e2e/quality-page.js', import.meta.url), 'utf8');
const layersScript = fs.readFileSync(new URL('./layers.js', import.meta.url), 'utf8');
const errors = [];

const { context, close } = await launchBrowser({
  extraArgs: spec.y4m ? [`--use-file-for-fake-video-capture=${spec.y4m}`] : [],
});
const pages = {};
try {
  for (const p of spec.pages) {
    const page = await context.newPage();
    await page.setViewportSize({ width: 1400, height: 900 });
    page.on('pageerror', (e) => errors.push(`${p.name}: ${e}`));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`${p.name} console: ${m.text()}`); });
    const cfg = { ice: p.ice || null, camera: p.camera || null, degradation: spec.degradation || null };
    await page.addInitScript({ content: `(${pageScript})(${JSON.stringify(cfg)});` });
    await page.addInitScript({ content: layersScript });
    await page.goto(p.url);
    const demo = spec.server === 'livekit' ? 'lkDemo' : 'roomDemo';
    if (spec.server !== 'livekit') await page.click('#joinBtn');
    await page.waitForFunction((d) => window[d] && (window[d].state === 'joined' || window[d].state === 'failed' || window[d].errors.length), demo, { timeout: 30000 });
    const st = await page.evaluate((d) => ({ state: window[d].state, errors: window[d].errors }), demo);
    if (st.state !== 'joined') throw new Error(`${p.name} did not join: ${JSON.stringify(st)}`);
    pages[p.name] = page;
    step(`${p.name} joined`);
  }
  const viewers = spec.pages.filter((p) => !p.camera).map((p) => p.name);
  const deadline = Date.now() + 45000;
  for (const name of viewers) {
    for (;;) {
      const latest = await pages[name].evaluate(() => window.__quality.latest || null);
      if (latest && latest.in && latest.in.framesDecoded > 0) break;
      if (Date.now() > deadline) throw new Error(`${name} decodes no video: ${JSON.stringify(latest)}`);
      await new Promise((ok) => setTimeout(ok, 250));
    }
    step(`${name} decodes`);
  }
  say({ phase: 'ready', t: Date.now() });
  for (;;) {
    const { value, done } = await lines.next();
    if (done || value.trim() === 'stop') break;
  }
  const out = {};
  for (const [name, page] of Object.entries(pages)) {
    out[name] = await page.evaluate(() => ({
      samples: window.__quality.samples, errors: window.__quality.errors, camera: window.__quality.camera,
      layers: window.__layers || [],
    }));
  }
  say({ phase: 'done', pages: out, pageErrors: errors });
} catch (e) {
  say({ phase: 'error', error: String(e && e.stack || e), pageErrors: errors });
  process.exitCode = 1;
} finally {
  await close();
}
