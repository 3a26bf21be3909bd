// Drives the group-call demo for e2e/room_test.go: three pages in headless
// Chromium join one room through KurentoRoom.js, decode each other's video,
// chat, then one leaves. Usage: node js/e2e/room.mjs <base url> <screenshot>
// Prints one JSON line: {"ok": true, ...} or {"phase": "error", ...}.
import { launchBrowser, screenshot as takeScreenshot } from './browser.mjs';

const [base, screenshot] = process.argv.slice(2);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const { context, close } = await launchBrowser();
const errors = [];
const step = (s) => process.stderr.write(`room e2e: ${s}\n`);
try {
  const pages = [];
  for (let i = 0; i < 3; i++) {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(`page ${i}: ${e}`));
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`page ${i} console: ${m.text()}`); });
    await page.goto(`${base}/room/?room=e2e&name=user${i}`);
    await page.click('#joinBtn');
    await page.waitForFunction(() => window.roomDemo.state === 'joined' || window.roomDemo.errors.length, null, { timeout: 20000 });
    const st = await page.evaluate(() => ({ state: window.roomDemo.state, errors: window.roomDemo.errors }));
    if (st.state !== 'joined') throw new Error(`page ${i} did not join: ${JSON.stringify(st)}`);
    pages.push(page);
  }
  step('three pages joined');
  // Each page decodes the two others' video.
  const decoded = [];
  for (const [i, page] of pages.entries()) {
    // decoded() is async (getStats): poll it from here, waitForFunction
    // would take the returned promise for a truthy value.
    const deadline = Date.now() + 30000;
    let d;
    for (;;) {
      d = await page.evaluate(() => window.roomDemo.decoded());
      const remotes = Object.values(d);
      if (remotes.length === 2 && remotes.every((r) => r.framesDecoded > 0 && r.videoWidth > 0)) break;
      if (Date.now() > deadline) throw new Error(`page ${i} does not decode both others: ${JSON.stringify(d)} events ${JSON.stringify(await page.evaluate(() => window.roomDemo.events))}`);
      await page.waitForTimeout(250);
    }
    decoded.push(d);
    step(`page ${i} decodes both others`);
  }
  // Chat from page 0 reaches everyone, the sender included.
  await pages[0].fill('#chatInput', 'hello from user0');
  await pages[0].press('#chatInput', 'Enter');
  for (const page of pages) {
    await page.waitForFunction(() => window.roomDemo.messages.some((m) => m.user === 'user0' && m.text === 'hello from user0'), null, { timeout: 10000 });
  }
  step('chat delivered');
  await takeScreenshot(pages[0], screenshot);
  // user2 leaves: the others get participant-left and stream-removed, and its video goes.
  await pages[2].click('#buttonLeaveRoom');
  for (const page of pages.slice(0, 2)) {
    await page.waitForFunction(() => {
      const ev = window.roomDemo.events;
      return ev.includes('participant-left:user2') && ev.includes('stream-removed:user2_webcam') &&
        !document.getElementById('video-user2_webcam');
    }, null, { timeout: 15000 });
  }
  step('leave seen by the others');
  const after = [];
  for (const page of pages.slice(0, 2)) after.push(await page.evaluate(() => ({ events: window.roomDemo.events, streams: Object.keys(window.roomDemo.streams) })));
  const tokens = [];
  for (const page of pages) tokens.push(await page.evaluate(() => window.roomDemo.token === true));
  say({ ok: true, decoded, after, tokens, pageErrors: errors });
} catch (e) {
  say({ phase: 'error', error: String(e && e.stack || e), pageErrors: errors });
  process.exitCode = 1;
} finally {
  await close();
}
