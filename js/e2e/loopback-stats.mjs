// Drives the loopback-stats demo in headless Chromium for e2e/browser_test.go.
// Usage: node js/e2e/loopback-stats.mjs <page url> <screenshot path>
// Protocol on stdout (one JSON object per line): {"phase":"running",...} once
// media and stats flow; then it waits for a line on stdin, clicks Stop and
// prints {"phase":"stopped",...}. Any failure prints {"phase":"error",...}.
import readline from 'node:readline';
import { launchBrowser, screenshot as takeScreenshot } from './browser.mjs';

const [url, screenshot] = process.argv.slice(2);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const { context, close } = await launchBrowser();
const errors = [];
try {
  const page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.click('#start');
  // Media flows both ways and at least 4 server samples arrived.
  await page.waitForFunction(() => {
    const s = window.loopbackStats;
    return s.errors.length > 0 || (s.samples >= 4 && s.browser && s.browser.in && s.browser.in.framesDecoded > 0 &&
      document.getElementById('videoOutput').videoWidth > 0);
  }, null, { timeout: 30000, polling: 200 });
  const sample = () => page.evaluate(() => {
    const s = window.loopbackStats, si = s.server.inVideo || {}, so = s.server.outVideo || {};
    const cells = (id) => [...document.querySelectorAll('#' + id + ' td:last-child')].map((td) => td.textContent);
    return {
      state: s.state, errors: s.errors, pipelineId: s.pipelineId,
      framesDecoded: s.browser.in.framesDecoded, videoWidth: document.getElementById('videoOutput').videoWidth,
      server: { inPackets: si.packetsReceived, inBytes: si.bytesReceived, outPackets: so.packetsSent, outBytes: so.bytesSent,
        e2eVideoMs: s.server.e2eVideoMs },
      shown: { browserOut: cells('browserOut'), browserIn: cells('browserIn'), serverIn: cells('serverIn'), serverOut: cells('serverOut') },
    };
  });
  const first = await sample();
  await page.waitForTimeout(2500);
  const second = await sample();
  await takeScreenshot(page, screenshot);
  say({ phase: 'running', first, second, pageErrors: errors });
  await new Promise((resolve) => readline.createInterface({ input: process.stdin }).once('line', resolve));
  await page.click('#stop');
  await page.waitForFunction(() => window.loopbackStats.state === 'stopped', null, { timeout: 5000 });
  say({ phase: 'stopped', pageErrors: errors });
} catch (e) {
  say({ phase: 'error', error: String(e && e.stack || e), pageErrors: errors });
  process.exitCode = 1;
} finally {
  await close();
}
