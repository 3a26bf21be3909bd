// Drives e2e/admin_test.go: the hello-world demo makes a live pipeline in
// one tab; the admin console in another lists it, draws its graph with media
// flowing, shows an element's stream counters, kicks a room participant and
// releases the pipeline. Usage: node admin.mjs <base url> <screenshot.png>
// Prints {"phase":"calling"}, reads the pipeline id on stdin, then prints
// {"phase":"graph",…}, {"phase":"kicked"} and {"phase":"released",…}.
import readline from 'node:readline';
import { launchBrowser } from './browser.mjs';

const [base, screenshot] = process.argv.slice(2);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const { context, close } = await launchBrowser();
const pageErrors = [];
try {
  const call = context.pages()[0] || (await context.newPage());
  await call.goto(`${base}/hello-world/`);
  await call.click('#start');
  await call.waitForFunction(() => document.getElementById('videoOutput').videoWidth > 0, null, { timeout: 30000 });
  say({ phase: 'calling' });
  const pipeline = (await lines.next()).value.trim();

  const admin = await context.newPage();
  admin.on('pageerror', (e) => pageErrors.push(String(e)));
  admin.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
  admin.on('dialog', (d) => d.accept()); // the console confirms releases and kicks
  await admin.setViewportSize({ width: 1280, height: 1000 });
  await admin.goto(`${base}/admin/`);
  const item = `#pipelines li[data-id="${pipeline}"]`;
  await admin.waitForSelector(item, { timeout: 15000 });
  const listed = await admin.$$eval('#pipelines li[data-id]', (lis) => lis.length);
  await admin.click(item);
  await admin.waitForSelector('#graph .node', { timeout: 10000 });
  await admin.click('#graph .node');
  // Two polls, so the stream table has bitrates.
  await admin.waitForFunction(() => [...document.querySelectorAll('#element table.streams td')].some((td) => /kbps$/.test(td.textContent)),
    null, { timeout: 15000 });
  await admin.waitForSelector('#graph .edge.flowing', { timeout: 10000 });
  await admin.waitForSelector('[data-room="ops"] li[data-user="ann"]', { timeout: 10000 });
  await admin.screenshot({ path: screenshot, fullPage: true });
  const graph = await admin.evaluate(() => ({
    nodes: document.querySelectorAll('#graph .node').length,
    edges: document.querySelectorAll('#graph .edge').length,
    flowing: document.querySelectorAll('#graph .edge.flowing').length,
    labels: [...document.querySelectorAll('#graph .edge-label tspan')].map((t) => t.textContent.trim() + (t.classList.contains('idle') ? ' (idle)' : '')),
    streams: document.querySelectorAll('#element table.streams tr').length - 1,
    events: document.querySelectorAll('#events li').length,
    state: Object.fromEntries([...document.querySelectorAll('#element table.stats:not(.streams) tr')].map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent])),
  }));
  say({ phase: 'graph', listed, ...graph, pageErrors });

  await admin.click('[data-room="ops"] li[data-user="ann"] button');
  await admin.waitForSelector('[data-room="ops"] li[data-user="ann"]', { state: 'detached', timeout: 10000 });
  say({ phase: 'kicked' });

  await admin.click('#release');
  await admin.waitForSelector(item, { state: 'detached', timeout: 10000 });
  say({ phase: 'released', pageErrors, error: await admin.textContent('#error') });

  // A larger graph: the pipeline whose id comes next on stdin.
  const fanout = (await lines.next()).value.trim();
  await admin.click(`#pipelines li[data-id="${fanout}"]`);
  await admin.waitForFunction(() => document.querySelectorAll('#graph .node').length >= 4, null, { timeout: 10000 });
  const boxes = await admin.$$eval('#graph .node rect', (rs) => rs.map((r) => { const b = r.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; }));
  const overlaps = boxes.some((a, i) => boxes.some((b, j) => i < j && a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]));
  const edges = await admin.$$eval('#graph .edge', (es) => es.length);
  await admin.locator('#pipeline').screenshot({ path: screenshot.replace(/\.png$/, '-graph.png') });
  say({ phase: 'graph2', nodes: boxes.length, edges, overlaps, pageErrors });
} catch (e) {
  let shown = '';
  for (const p of context.pages()) {
    if (p.url().includes('/admin/')) {
      shown = await p.evaluate(() => document.getElementById('error').textContent + ' | ' + document.body.innerText.slice(0, 600)).catch(String);
      await p.screenshot({ path: screenshot.replace(/\.png$/, '-failed.png'), fullPage: true }).catch(() => {});
    }
  }
  say({ phase: 'error', error: String(e && e.stack || e) + '\nconsole page: ' + shown, pageErrors });
  process.exitCode = 1;
} finally {
  await close();
}
