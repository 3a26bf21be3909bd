// Drives the player demo for e2e/player_test.go: plays sample.webm, pauses,
// seeks with the slider, resumes to the end; then plays sample.mp4 (H.264 +
// AAC) and stops. Reports what the <video> decoded; a screenshot goes to
// <outDir>/player.png. Usage: node player.mjs <base url> <out dir>
import { launchBrowser, screenshot } from './browser.mjs';

const [base, outDir] = process.argv.slice(2);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const { context, close } = await launchBrowser();
const pageErrors = [];
try {
  const page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(`${base}/player/`);
  const until = (fn, arg, timeout = 30000) => page.waitForFunction(fn, arg, { timeout });
  const frames = () => page.evaluate(() => document.getElementById('videoOutput').getVideoPlaybackQuality().totalVideoFrames);
  const failed = () => page.evaluate(() => document.getElementById('error').textContent);
  const position = () => page.evaluate(() => Number(document.getElementById('seek').value));

  await page.selectOption('#sample', 'samples/sample.webm');
  await page.click('#play');
  await until(() => document.getElementById('videoOutput').getVideoPlaybackQuality().totalVideoFrames > 20 || document.getElementById('error').textContent);
  if (await failed()) throw new Error('webm: ' + (await failed()));
  const duration = await page.evaluate(() => document.getElementById('duration').textContent);
  await page.click('#pause');
  await page.waitForTimeout(1500);
  const pausedAt = await position();
  const framesPaused = await frames();
  await page.waitForTimeout(1000);
  const framesStill = await frames();
  // seek to 4 s with the slider, resume
  await page.evaluate(() => {
    const s = document.getElementById('seek');
    s.value = 4000;
    s.dispatchEvent(new Event('change'));
  });
  await page.click('#pause'); // "Resume"
  // The page polls getPosition every 500 ms.
  await page.waitForTimeout(1500);
  const afterSeek = await page.evaluate(() => document.getElementById('position').textContent);
  await screenshot(page, `${outDir}/player.png`);
  await until(() => /End of stream/.test(document.getElementById('status').textContent) || document.getElementById('error').textContent);
  const webm = { duration, pausedAt, framesPaused, framesStill, afterSeek, error: await failed() };

  await page.selectOption('#sample', 'samples/sample.mp4');
  await page.click('#play');
  await until(() => document.getElementById('videoOutput').getVideoPlaybackQuality().totalVideoFrames > 20 || document.getElementById('error').textContent);
  const mp4 = { frames: await frames(), width: await page.evaluate(() => document.getElementById('videoOutput').videoWidth), error: await failed() };
  await page.click('#stop');
  say({ webm, mp4, pageErrors });
} catch (e) {
  say({ phase: 'error', error: String(e && e.stack || e), pageErrors });
  process.exitCode = 1;
} finally {
  await close();
}
