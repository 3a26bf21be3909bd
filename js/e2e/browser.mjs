// Launches Debian's headless Chromium through playwright-core for the browser e2e
// tests (recipe: shared/specs/testing-browser-e2e.md). Run it inside
// scripts/netns-run.sh so the only network the browser sees is loopback.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  // Playwright adds --headless/--no-sandbox itself; keep them explicit anyway.
  '--headless', '--no-sandbox', '--disable-gpu',
  // No traffic of Chromium's own (it would only hit the closed network).
  '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
  // getUserMedia: a fake camera/mic (640x480 green frame + beep), auto-granted.
  // Without the first: NotFoundError; without the second: NotAllowedError.
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  // Otherwise Chromium gathers zero ICE candidates on a loopback-only host.
  '--allow-loopback-in-peer-connection',
  // Let <video autoplay> play remote media without a click.
  '--autoplay-policy=no-user-gesture-required',
  // Tests drive several pages of one browser at once: keep the pages that are
  // not in front rendering and running timers (otherwise a screenshot of one
  // waits for a frame that a throttled background page never draws).
  '--disable-background-timer-throttling', '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
];

// Returns { context, close }. A fresh profile dir per launch (never
// --user-data-dir in args: Playwright rejects it); close() removes it again.
// extraArgs are added to CHROMIUM_ARGS (e.g. --use-file-for-fake-video-capture=…).
export async function launchBrowser({ headless = true, extraArgs = [] } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gorento-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM,
      headless,
      timeout: 30000,
      args: [...(headless ? CHROMIUM_ARGS : CHROMIUM_ARGS.filter((a) => a !== '--headless')), ...extraArgs],
    });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const close = async () => {
    try { await context.close(); } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  };
  return { context, close };
}

// screenshot keeps a picture of page as test output. It brings the page to the
// front first and, under heavy load, gives up with a warning instead of failing
// the test: the assertions are on decoded media, the picture is for humans.
export async function screenshot(page, file) {
  try {
    await page.bringToFront();
    await page.screenshot({ path: file, fullPage: true, timeout: 60000 });
  } catch (err) {
    console.warn(`screenshot ${file} not taken: ${err.message.split('\n')[0]}`);
  }
}
