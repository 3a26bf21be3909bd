// Drives the recorder demo for e2e/recorder_test.go: for each profile given,
// record the fake camera for a few seconds, stop, play the recording back
// until its end, and report what the <video> decoded. A screenshot of the
// playback goes to <outDir>/recorder-<profile>.png.
// Usage: node recorder.mjs <base url> <out dir> PROFILE...
import { launchBrowser, screenshot } from './browser.mjs';

const [base, outDir, ...profiles] = process.argv.slice(2);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const { context, close } = await launchBrowser();
const pageErrors = [];
try {
  const page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(`${base}/recorder/`);
  const text = (id) => page.evaluate((id) => document.getElementById(id).textContent, id);
  const until = (fn, arg, timeout = 30000) => page.waitForFunction(fn, arg, { timeout });
  for (const profile of profiles) {
    await page.selectOption('#profile', profile);
    const file = await text('file');
    await page.click('#record');
    await until(() => /^Recording/.test(document.getElementById('status').textContent) || document.getElementById('error').textContent);
    if (await text('error')) throw new Error(`record ${profile}: ${await text('error')}`);
    const started = Date.now();
    await page.waitForTimeout(4000);
    await page.click('#stop');
    await until(() => /^Stopped/.test(document.getElementById('status').textContent) || document.getElementById('error').textContent);
    const recordedMs = Date.now() - started;
    await page.click('#play');
    // The playback decodes: frames counted by the video element go up.
    await until(() => {
      const v = document.getElementById('videoOutput');
      return (v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 30) || document.getElementById('error').textContent;
    });
    if (await text('error')) throw new Error(`play ${profile}: ${await text('error')}`);
    await screenshot(page, `${outDir}/recorder-${profile.toLowerCase()}.png`);
    // What the video element decoded, sampled until the page releases it at the end.
    await page.evaluate(() => {
      const v = document.getElementById('videoOutput');
      window.__playback = { width: 0, height: 0, frames: 0, dropped: 0 };
      window.__sampler = setInterval(() => {
        if (!v.videoWidth) return;
        const q = v.getVideoPlaybackQuality();
        window.__playback = { width: v.videoWidth, height: v.videoHeight, frames: q.totalVideoFrames, dropped: q.droppedVideoFrames };
      }, 100);
    });
    await until(() => /End of the recording/.test(document.getElementById('status').textContent) || document.getElementById('error').textContent);
    const playback = await page.evaluate(() => {
      clearInterval(window.__sampler);
      return Object.assign({}, window.__playback, { error: document.getElementById('error').textContent });
    });
    say({ profile, file, recordedMs, playback });
  }
  say({ done: true, pageErrors });
} catch (e) {
  say({ phase: 'error', error: String(e && e.stack || e), pageErrors });
  process.exitCode = 1;
} finally {
  await close();
}
