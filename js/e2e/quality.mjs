// Drives e2e/quality_test.go: pages join one room of the group-call demo
// (KurentoRoom.js) in one headless Chromium whose fake camera plays a Y4M
// file; quality-page.js (injected) puts each page behind its own impaired
// TURN relay (or none), makes the publisher's camera 1280×720@30 and the
// viewers audio-only, and samples getStats() once a second.
//
// Usage: node js/e2e/quality.mjs <base url> '<spec JSON>'
//   spec: {room, y4m, degradation, jitterTarget, pages: [{name, camera: {width,height,frameRate}|null, ice: {...}|null}]}
// Prints {"phase":"ready", …} once every viewer decodes the publisher's video,
// then waits for "stop" on stdin and prints {"phase":"done", "pages": {name: {samples, …}}}.
// Errors: {"phase":"error", …}.
import fs from 'node:fs';
import readline from 'node:readline';
import { launchBrowser } from './browser.mjs';

const [base, specJSON] = process.argv.slice(2);
const spec = JSON.parse(specJSON);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const step = (s) => process.stderr.write(`quality e2e: ${s}\n`);
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const pageScript = fs.readFileSync(new URL('./quality-page.js', import.meta.url), 'utf8');
const errors = [];

const { context, close } = await launchBrowser({
  extraArgs: spec.y4m ? [`--use-file-for-fake-video-capture=${spec.y4m}`] : [],
});
const pages = {};
try {
  for (const p of spec.pages) {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(`${p.name}: ${e}`));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`${p.name} console: ${m.text()}`); });
    const cfg = { ice: p.ice || null, camera: p.camera || null, degradation: spec.degradation || null, jitterTarget: spec.jitterTarget || 0 };
    await page.addInitScript({ content: `(${pageScript})(${JSON.stringify(cfg)});` });
    await page.goto(`${base}/room/?room=${encodeURIComponent(spec.room)}&name=${encodeURIComponent(p.name)}`);
    await page.click('#joinBtn');
    await page.waitForFunction(() => window.roomDemo.state === 'joined' || window.roomDemo.errors.length, null, { timeout: 30000 });
    const st = await page.evaluate(() => ({ state: window.roomDemo.state, errors: window.roomDemo.errors }));
    if (st.state !== 'joined') throw new Error(`${p.name} did not join: ${JSON.stringify(st)}`);
    pages[p.name] = page;
    step(`${p.name} joined`);
  }
  // Every viewer decodes the publisher's video.
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
  const info = {};
  for (const [name, page] of Object.entries(pages)) {
    info[name] = await page.evaluate(() => ({ camera: window.__quality.camera, degradation: window.__quality.degradation }));
  }
  say({ phase: 'ready', t: Date.now(), info });
  for (;;) {
    const { value, done } = await lines.next();
    if (done || value.trim() === 'stop') break;
  }
  const out = {};
  for (const [name, page] of Object.entries(pages)) {
    out[name] = await page.evaluate(() => ({
      samples: window.__quality.samples, errors: window.__quality.errors,
      camera: window.__quality.camera, degradation: window.__quality.degradation,
    }));
  }
  say({ phase: 'done', pages: out, pageErrors: errors });
} catch (e) {
  say({ phase: 'error', error: String(e && e.stack || e), pageErrors: errors });
  process.exitCode = 1;
} finally {
  await close();
}
