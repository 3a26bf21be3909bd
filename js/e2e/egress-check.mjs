// Drives e2e/egress_test.go: the loopback-stats demo in headless Chromium
// (through a lossy TURN relay, so Chromium NACKs what the server sends),
// sampled twice. Usage: node js/e2e/egress-check.mjs <page url> <y4m camera>
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
    const s = window.loopbackStats, bi = s.browser.in || {}, so = s.server.outVideo || {};
    return {
      state: s.state, errors: s.errors,
      browser: { framesDecoded: bi.framesDecoded, packetsReceived: bi.packetsReceived, packetsLost: bi.packetsLost,
        nackCount: bi.nackCount, freezeCount: bi.freezeCount, totalFreezesDuration: bi.totalFreezesDuration,
        frameWidth: bi.frameWidth },
      server: { packetsSent: so.packetsSent, nackCount: so.nackCount },
    };
  });
  await page.waitForTimeout(3000);
  const first = await sample();
  await page.waitForTimeout(8000);
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
