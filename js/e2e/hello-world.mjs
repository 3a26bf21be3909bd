// Drives the hello-world demo for e2e/hello_world_test.go: the remote video
// must play; then, pointed at a port where nothing listens, the page must
// say the media server is unreachable. Usage: node hello-world.mjs <base url>
import { launchBrowser } from './browser.mjs';

const [base] = process.argv.slice(2);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const { context, close } = await launchBrowser();
try {
  const page = context.pages()[0] || (await context.newPage());
  await page.goto(`${base}/hello-world/`);
  await page.click('#start');
  await page.waitForFunction(() => document.getElementById('videoOutput').videoWidth > 0 || document.getElementById('error').textContent,
    null, { timeout: 30000 });
  const remote = await page.evaluate(() => ({ width: document.getElementById('videoOutput').videoWidth, error: document.getElementById('error').textContent }));
  await page.goto(`${base}/hello-world/?ws_uri=ws://127.0.0.1:9/kurento`);
  await page.click('#start');
  await page.waitForFunction(() => document.getElementById('error').textContent, null, { timeout: 30000 });
  const unreachable = await page.evaluate(() => document.getElementById('error').textContent);
  say({ ok: true, remote, unreachable });
} catch (e) {
  say({ phase: 'error', error: String(e && e.stack || e) });
  process.exitCode = 1;
} finally {
  await close();
}
