// Drives the MCU demo for e2e/mcu_test.go: three pages in headless Chromium
// join one call; each decodes the mixed grid, whose three cells show the
// participants' cameras and whose fourth is black (KMS's 2×2 grid for three
// inputs). Usage: node js/e2e/mcu.mjs <base url> <screenshot>
// Prints one JSON line: {"ok": true, ...} or {"phase": "error", ...}.
import { launchBrowser, screenshot as takeScreenshot } from './browser.mjs';

const [base, screenshot] = process.argv.slice(2);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const step = (s) => process.stderr.write(`mcu e2e: ${s}\n`);
const { context, close } = await launchBrowser();
const errors = [];

// In the page: frames decoded by the peer connection, and the mean brightness
// of the four cells of the received picture.
const probe = async () => {
  const video = document.getElementById('videoOutput');
  const pc = window.mcuDemo.webRtcPeer && window.mcuDemo.webRtcPeer.peerConnection;
  let framesDecoded = 0;
  if (pc) {
    (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded = s.framesDecoded || 0; });
  }
  const w = video.videoWidth, h = video.videoHeight;
  const cells = [], halves = [];
  if (w > 0 && h > 0) {
    const c = document.createElement('canvas');
    c.width = w; c.height = h;
    const g = c.getContext('2d');
    g.drawImage(video, 0, 0, w, h);
    const mean = (x, y, cw, ch) => {
      const d = g.getImageData(x, y, cw, ch).data;
      let sum = 0;
      for (let i = 0; i < d.length; i += 4) sum += d[i] + d[i + 1] + d[i + 2];
      return Math.round(sum / (d.length / 4) / 3);
    };
    for (const [x, y] of [[0, 0], [1, 0], [0, 1], [1, 1]]) cells.push(mean(x * w / 2 + w / 8, y * h / 2 + h / 8, w / 4, h / 4));
    // Two inputs: two cells side by side, full height (pictures centred).
    halves.push(mean(w / 8, 3 * h / 8, w / 4, h / 4), mean(5 * w / 8, 3 * h / 8, w / 4, h / 4));
  }
  return { framesDecoded, width: w, height: h, cells, halves, errors: window.mcuDemo.errors };
};

try {
  const pages = [];
  for (let i = 0; i < 3; i++) {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(`page ${i}: ${e}`));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`page ${i} console: ${m.text()}`); });
    await page.goto(`${base}/mcu/`);
    await page.fill('#call', 'e2e');
    await page.click('#join');
    await page.waitForFunction(() => window.mcuDemo.joined || window.mcuDemo.errors.length, null, { timeout: 30000 });
    const st = await page.evaluate(() => ({ joined: window.mcuDemo.joined, errors: window.mcuDemo.errors }));
    if (!st.joined) throw new Error(`page ${i} did not join: ${JSON.stringify(st)}`);
    pages.push(page);
    step(`page ${i} joined`);
  }
  const results = [];
  for (const [i, page] of pages.entries()) {
    const deadline = Date.now() + 45000;
    let r;
    for (;;) {
      r = await page.evaluate(probe);
      // Three cameras placed: three lit cells, the fourth black.
      if (r.framesDecoded > 10 && r.cells.length === 4 && r.cells.slice(0, 3).every((v) => v > 40) && r.cells[3] < 20) break;
      if (Date.now() > deadline) throw new Error(`page ${i} does not show the 3-participant grid: ${JSON.stringify(r)}`);
      await page.waitForTimeout(500);
    }
    results.push(r);
    step(`page ${i} decodes the grid ${JSON.stringify(r.cells)}`);
  }
  await takeScreenshot(pages[0], screenshot);
  // One leaves: the others' grid shrinks to two cells side by side.
  await pages[2].click('#leave');
  const after = [];
  for (const page of pages.slice(0, 2)) {
    const deadline = Date.now() + 20000;
    let r;
    for (;;) {
      r = await page.evaluate(probe);
      if (r.width > 0 && r.halves.every((v) => v > 40) && r.cells[2] < 40) break; // two cells side by side
      if (Date.now() > deadline) throw new Error(`grid after a participant left: ${JSON.stringify(r)}`);
      await page.waitForTimeout(500);
    }
    after.push(r);
  }
  say({ ok: true, results, after, errors });
} catch (e) {
  say({ phase: 'error', error: String(e && e.stack || e), errors });
  process.exitCode = 1;
} finally {
  await close();
}
