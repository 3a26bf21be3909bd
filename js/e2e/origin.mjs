// Drives e2e/origin_test.go: from a page of a given origin, tries to open
// each WebSocket URL given and reports which opened. The foreign page is
// served by the test on another 127.0.0.1 port; the same-origin control is
// one of gorento's own pages.
// Usage: node js/e2e/origin.mjs <page url> <ws url>...
// Prints one JSON line: {"ok": true, "results": {"<ws url>": "open"|"refused"}}.
import { launchBrowser } from './browser.mjs';

const [pageUrl, ...sockets] = process.argv.slice(2);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const { context, close } = await launchBrowser();
try {
  const page = await context.newPage();
  await page.goto(pageUrl);
  const results = await page.evaluate(async (urls) => {
    const out = {};
    for (const u of urls) {
      out[u] = await new Promise((resolve) => {
        const ws = new WebSocket(u);
        const timer = setTimeout(() => { ws.close(); resolve('timeout'); }, 5000);
        ws.onopen = () => { clearTimeout(timer); ws.close(); resolve('open'); };
        ws.onerror = () => { clearTimeout(timer); resolve('refused'); };
      });
    }
    return out;
  }, sockets);
  say({ ok: true, origin: await page.evaluate(() => location.origin), results });
} catch (e) {
  say({ phase: 'error', error: String(e && e.stack || e) });
  process.exitCode = 1;
} finally {
  await close();
}
