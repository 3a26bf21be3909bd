// Drives the rtp-receiver demo for e2e/rtp_receiver_test.go: SRTP on,
// Start; reports the sender command's host, ports and key, then (once the
// test's gst-launch-1.0 sends) what the <video> decoded; a screenshot goes
// to <outDir>/rtp-receiver.png. Usage: node rtp-receiver.mjs <base url> <out dir>
import { launchBrowser, screenshot } from './browser.mjs';

const [base, outDir] = process.argv.slice(2);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const { context, close } = await launchBrowser();
const pageErrors = [];
try {
  const page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(`${base}/rtp-receiver/`);
  await page.check('#srtp');
  await page.click('#start');
  await page.waitForFunction(() => !document.getElementById('command').hidden || document.getElementById('error').textContent, null, { timeout: 30000 });
  const failed = await page.evaluate(() => document.getElementById('error').textContent);
  if (failed) throw new Error(failed);
  say(await page.evaluate(() => {
    const c = document.getElementById('command');
    return { phase: 'command', host: c.dataset.host, videoPort: Number(c.dataset.videoPort), audioPort: Number(c.dataset.audioPort), key: c.dataset.key, text: c.textContent };
  }));
  await page.waitForFunction(() => document.getElementById('videoOutput').getVideoPlaybackQuality().totalVideoFrames > 30 ||
    document.getElementById('error').textContent, null, { timeout: 30000 });
  await screenshot(page, `${outDir}/rtp-receiver.png`);
  say(await page.evaluate(() => ({
    phase: 'video', frames: document.getElementById('videoOutput').getVideoPlaybackQuality().totalVideoFrames,
    width: document.getElementById('videoOutput').videoWidth, status: document.getElementById('status').textContent,
    error: document.getElementById('error').textContent,
  })));
} catch (e) {
  say({ phase: 'error', error: String(e && e.stack || e), pageErrors });
  process.exitCode = 1;
} finally {
  await close();
}
