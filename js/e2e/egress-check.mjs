// Drives e2e/egress_test.go: the loopback-stats demo in headless Chromium
// (through a lossy TURN relay, so Chromium NACKs what the server sends),
// sampled twice: once running, once when enough has been decoded. Usage: node js/e2e/egress-check.mjs <page url> <y4m camera>
// Prints {"phase":"running", first, second, pageErrors}, waits for a line on
// stdin, clicks Stop and prints {"phase":"stopped"}; on failure {"phase":"error"}.
import readline from 'node:readline';
import { launchBrowser } from './browser.mjs';

const [url, y4m] = process.argv.slice(2);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const { context, close } = await launchBrowser({ extraArgs: y4m ? [`--use-file-for-fake-video-capture=${y4m}`] : [] });
const errors = [];
try {
  const page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.click('#start');
  await page.waitForFunction(() => {
    const s = window.loopbackStats;
    return s.errors.length > 0 || (s.samples >= 2 && s.browser && s.browser.in && s.browser.in.framesDecoded > 0);
  }, null, { timeout: 45000, polling: 200 });
  const sample = () => page.evaluate(() => {
    const s = window.loopbackStats, bi = s.browser.in || {}, so = s.server.outVideo || {}, si = s.server.inVideo || {};
    return {
      state: s.state, errors: s.errors,
      browser: { framesDecoded: bi.framesDecoded, packetsReceived: bi.packetsReceived, packetsLost: bi.packetsLost,
        nackCount: bi.nackCount, freezeCount: bi.freezeCount, totalFreezesDuration: bi.totalFreezesDuration,
        frameWidth: bi.frameWidth, retransmittedPacketsReceived: bi.retransmittedPacketsReceived, jitterBufferDelay: bi.jitterBufferDelay },
      server: { packetsSent: so.packetsSent, nackCount: so.nackCount },
      serverIn: { packetsReceived: si.packetsReceived, packetsLost: si.packetsLost, nackCount: si.nackCount },
    };
  });
  await page.waitForTimeout(3000);
  const first = await sample();
  // Until 100 more frames are decoded past the wrap (300 packets sent) and
  // NACKs went both ways — 8 s on a quiet machine; up to 60 s on a loaded
  // one, where Chromium encodes fewer frames per second.
  await page.waitForFunction((f) => {
    const s = window.loopbackStats, bi = s.browser.in || {}, so = s.server.outVideo || {};
    return s.errors.length > 0 || (bi.framesDecoded > f + 100 && so.packetsSent >= 300 && bi.nackCount > 0 && so.nackCount > 0);
  }, first.browser.framesDecoded, { timeout: 60000, polling: 500 }).catch(() => {});
  const second = await sample();
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
