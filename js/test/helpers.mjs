// Shared helpers of the kurento-client conformance tests (js/test/*.test.mjs):
// loading the real npm kurento-client@7.3.0, capturing its console, spawning
// gorento and the Go test peer (the "browser"), a recording WebSocket proxy,
// a raw JSON-RPC client, and withEnv() which ties them together per test.
//
// `node --test js/test/` also loads this file as a test file (Node 20 runs
// every .mjs under a test/ directory); it defines no tests, so that is a
// harmless empty pass.
//
// Things about the client that shape these helpers and the tests (all
// verified against 7.3.0):
// - Its ping counter is a module-level global: only the first KurentoClient of
//   the process sends the `{"interval":5000}` ping (node --test runs each test
//   file in its own process), so in each file the test that checks it must be
//   the first to create a client (`clientsCreated` counts them).
// - Every answered request leaves a 20 s `duplicates_timeout` timer behind that
//   client.close() does not clear; the clients here pass a short one so that
//   `node --test` exits promptly. It only affects duplicate-answer detection.
// - With the promise API every invoke gets a `noop` callback that swallows
//   errors (console.trace, resolves undefined): errors are checked with callbacks.
// - Media objects refuse `'error'` listeners (SyntaxError, the event is not in
//   their list), so a failed auto-unsubscribe would be an uncaught exception;
//   we check the unsubscribe answers on the wire instead.
// - A refused reconnection (ECONNREFUSED, HTTP error on upgrade) throws an
//   uncaught error from reconnect-core and stops reconnecting, so the proxy
//   "refuses" by holding the upgrade request unanswered instead.
// - The client logs through console.*; that output is captured and only shown
//   when a test fails.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import util from 'node:util';
import { test } from 'node:test';

const require = createRequire(import.meta.url);

export const CI = ['true', '1', 'yes'].includes(String(process.env.CI || '').toLowerCase());
export const BIN = process.env.GORENTO_BIN;

// Node >= 16: kurento-client's explicit transactions extend `domain.Domain`,
// which can no longer be called without `new`; without a Domain the client
// falls back to its own EventEmitter-based one (spec §7.1 item 3).
require('domain').Domain = undefined;

export let kurentoClient, WebSocket, loadError;
try {
  kurentoClient = require('kurento-client');
  WebSocket = require('ws');
} catch (err) {
  loadError = err;
}

export const missing = !BIN
  ? 'GORENTO_BIN is not set (build it: go build -o .build/gorento ./cmd/gorento; then GORENTO_BIN=$PWD/.build/gorento)'
  : !fs.existsSync(BIN)
    ? `GORENTO_BIN=${BIN} does not exist (go build -o .build/gorento ./cmd/gorento)`
    : loadError
      ? `cannot load kurento-client/ws from js/node_modules (run: cd js && npm ci --ignore-scripts): ${loadError.message}`
      : null;

// ---------------------------------------------------------------------------
// Captured client console output

export const clientConsole = [];
for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {
  console[level] = (...args) => {
    clientConsole.push({ level, text: util.format(...args), args });
  };
}

// ---------------------------------------------------------------------------
// Small helpers

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls cond() every 10 ms until it is truthy; throws with msg after timeout.
 * cond may be async (its promise is awaited, not taken as a truthy value).
 */
export async function waitUntil(cond, msg, timeout = 5000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for: ${msg}`);
    await sleep(10);
  }
}

/** Rejects after ms with msg unless p settles first. */
export function withTimeout(p, ms, msg) {
  let timer;
  return Promise.race([
    p,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${msg}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Runs fn(done) with a node-style callback; resolves [err, value]. */
export function cbResult(fn) {
  return new Promise((resolve) => {
    fn((err, value) => resolve([err, value]));
  });
}

/** Runs fn(done) with a node-style callback; resolves value, rejects err. */
export async function cbOk(fn) {
  const [err, value] = await cbResult(fn);
  if (err) throw err;
  // Returning a media object from an async function would adopt it as a
  // thenable and yield the client's plain copy of it (see cbObj).
  assert.ok(!(value && typeof value.then === 'function'), 'use cbObj for media objects');
  return value;
}

/**
 * Like cbOk for calls that yield a media object or client: resolves [object],
 * boxed, because these objects are thenables. Awaiting one directly gives a
 * copy made by the client's disguise.unthenable(), which is not `instanceof`
 * its class (client.connect(a, b) rejects such copies) and lacks the
 * non-enumerable properties (KurentoClient#sessionId).
 */
export async function cbObj(fn) {
  const [err, value] = await cbResult(fn);
  if (err) throw err;
  return [value];
}

/** Collects the data of every `event` emitted by a media object (subscribes). */
export function collect(obj, event) {
  const list = [];
  obj.on(event, (data) => list.push(data));
  return list;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const sortBy = (list, key) => [...list].sort((a, b) => String(a[key]).localeCompare(String(b[key])));

/** Asserts err is a kurento-client error of class cls with code and data.type. */
export function assertKurentoError(err, cls, code, type, messageRe) {
  assert.ok(err, `expected an error with code ${code}, got success`);
  assert.ok(err instanceof cls, `expected ${cls.name}, got ${err && err.constructor && err.constructor.name}: ${err && err.message}`);
  assert.equal(err.code, code, `error code (message: ${err.message})`);
  assert.equal(err.data && err.data.type, type, `error data.type (message: ${err.message})`);
  if (messageRe) assert.match(err.message, messageRe);
}

// ---------------------------------------------------------------------------
// gorento process

export async function startServer(config, { web = false } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gorento-kc-test-'));
  const args = ['serve', '-kurento-listen', '127.0.0.1:0', '-web-listen', web ? '127.0.0.1:0' : '', '-log-level', 'debug', '-data-dir', dir];
  if (config) {
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify(config));
    args.push('-config', file);
  }
  const proc = spawn(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const logs = [];
  let partial = '';
  let exited = null;
  let webAddr = null;
  let kurentoAddr = null;
  const exitPromise = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });
  const addr = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gorento did not report its listen address within 10 s:\n${logs.join('\n')}`)), 10000);
    proc.on('error', (err) => { clearTimeout(timer); reject(err); });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`gorento exited early (code ${code}, signal ${signal}):\n${logs.join('\n')}`));
    });
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        logs.push(line);
        const w = /msg=listening listener=web addr=(\S+)/.exec(line);
        if (w) webAddr = w[1];
        const m = /msg=listening listener=kurento addr=(\S+)/.exec(line);
        if (m) kurentoAddr = m[1];
        if (kurentoAddr && (!web || webAddr)) { clearTimeout(timer); resolve(kurentoAddr); }
      }
    });
  });
  return {
    addr,
    webAddr,
    dir,
    url: `ws://${addr}/kurento`,
    logs,
    proc,
    get exited() { return exited; },
    async stop() {
      if (!exited) {
        proc.kill('SIGTERM');
        const done = await withTimeout(exitPromise, 3000, 'gorento to exit on SIGTERM').catch(() => null);
        if (!done) { proc.kill('SIGKILL'); await exitPromise; }
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------
// Recording WebSocket proxy: client <-> proxy <-> gorento

export class RecordingProxy {
  constructor(targetBase) {
    this.targetBase = targetBase; // ws://127.0.0.1:PORT
    this.frames = []; // {conn, dir: 'c2s'|'s2c'|'inject', text, msg, at}
    this.conns = []; // {index, client, upstream, closed}
    this.held = [];
    this.holding = false;
    this.closing = false;
  }

  async start() {
    this.wss = new WebSocket.Server({ noServer: true });
    this.http = http.createServer((req, res) => { res.writeHead(426); res.end(); });
    this.http.on('upgrade', (req, socket, head) => {
      socket.on('error', () => {});
      if (this.closing) return socket.destroy();
      if (this.holding) return this.held.push({ req, socket, head });
      this.accept(req, socket, head);
    });
    await new Promise((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    this.url = `ws://127.0.0.1:${this.http.address().port}/kurento`;
  }

  record(conn, dir, text) {
    let msg;
    try { msg = JSON.parse(text); } catch { msg = undefined; }
    this.frames.push({ conn: conn.index, dir, text, msg, at: Date.now() });
  }

  // The upstream connection is opened first, so a client connection only
  // opens once gorento accepted it.
  accept(req, socket, head) {
    const conn = { index: this.conns.length, client: null, upstream: null, closed: false, stale: false };
    this.conns.push(conn);
    const upstream = new WebSocket(this.targetBase + req.url);
    conn.upstream = upstream;
    const closeBoth = () => {
      if (conn.stale) return; // drop({keepUpstream}) left gorento's side open on purpose
      conn.closed = true;
      if (conn.client && conn.client.readyState <= WebSocket.OPEN) conn.client.terminate();
      if (upstream.readyState <= WebSocket.OPEN) upstream.terminate();
    };
    upstream.on('error', () => {});
    upstream.on('open', () => {
      if (this.closing || socket.destroyed) { closeBoth(); return; }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        conn.client = ws;
        ws.on('error', () => {});
        ws.on('message', (data) => {
          const text = String(data);
          this.record(conn, 'c2s', text);
          if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
        });
        ws.on('close', closeBoth);
      });
    });
    upstream.on('message', (data) => {
      const text = String(data);
      this.record(conn, 's2c', text);
      if (conn.client && conn.client.readyState === WebSocket.OPEN) conn.client.send(text);
    });
    upstream.on('close', closeBoth);
    upstream.on('unexpected-response', () => { socket.destroy(); closeBoth(); });
  }

  /**
   * Abruptly drops every open client socket and, unless keepUpstream, its
   * upstream too. With keepUpstream gorento keeps a stale connection open,
   * as after a network loss it has not noticed yet; closeUpstream(i) ends it.
   */
  drop({ keepUpstream = false } = {}) {
    for (const conn of this.conns) {
      if (conn.closed) continue;
      conn.closed = true;
      conn.stale = keepUpstream;
      if (conn.client) conn.client.terminate();
      if (!keepUpstream) conn.upstream.terminate();
    }
  }

  closeUpstream(index) {
    const conn = this.conns[index];
    conn.stale = false;
    conn.upstream.terminate();
  }

  /** New upgrade requests wait unanswered until release(). */
  hold() { this.holding = true; }

  release() {
    this.holding = false;
    const held = this.held.splice(0);
    for (const { req, socket, head } of held) {
      if (!socket.destroyed) this.accept(req, socket, head);
    }
  }

  /** Sends a raw frame to gorento on a connection, as if the client had. */
  inject(text, index = this.conns.length - 1) {
    const conn = this.conns[index];
    this.frames.push({ conn: index, dir: 'inject', text, msg: undefined, at: Date.now() });
    conn.upstream.send(text);
  }

  openConns() { return this.conns.filter((c) => !c.closed); }

  /** Requests the client sent (parsed), optionally on one connection. */
  requests(conn) {
    return this.frames.filter((f) => f.dir === 'c2s' && f.msg && f.msg.method && (conn === undefined || f.conn === conn)).map((f) => f.msg);
  }

  /** Invoke requests of one operation. */
  invokes(operation, conn) {
    return this.requests(conn).filter((r) => r.method === 'invoke' && r.params && r.params.operation === operation);
  }

  /** The answer gorento sent to request id on connection conn. */
  answer(id, conn) {
    const f = this.frames.find((x) => x.dir === 's2c' && x.msg && x.msg.id === id && !x.msg.method && (conn === undefined || x.conn === conn));
    return f && f.msg;
  }

  events(conn) {
    return this.frames.filter((f) => f.dir === 's2c' && f.msg && f.msg.method === 'onEvent' && (conn === undefined || f.conn === conn)).map((f) => f.msg);
  }

  async close() {
    this.closing = true;
    for (const { socket } of this.held.splice(0)) socket.destroy();
    this.drop();
    for (const conn of this.conns) { conn.stale = false; conn.upstream.terminate(); }
    await new Promise((resolve) => this.wss.close(resolve));
    await new Promise((resolve) => this.http.close(resolve));
  }

  dump(max = 80) {
    const tail = this.frames.slice(-max);
    return tail.map((f) => `[conn ${f.conn}] ${f.dir === 'c2s' ? 'C>S' : f.dir === 's2c' ? 'S>C' : 'INJ'} ${f.text.length > 600 ? f.text.slice(0, 600) + '…' : f.text}`).join('\n');
  }
}

// ---------------------------------------------------------------------------
// Raw JSON-RPC client straight to gorento (not through the proxy), to look at
// server state without kurento-client and its process-wide ping state.

export async function rawClient(url) {
  const ws = new WebSocket(url);
  ws.on('error', () => {});
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  let nextId = 1000;
  const pending = new Map();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    if (msg.id !== undefined && pending.has(msg.id)) {
      pending.get(msg.id)(msg);
      pending.delete(msg.id);
    }
  });
  return {
    call(method, params) {
      const id = nextId++;
      ws.send(JSON.stringify({ jsonrpc: '2.0', method, params, id }));
      return withTimeout(new Promise((resolve) => pending.set(id, resolve)), 5000, `raw ${method}`);
    },
    close() { ws.terminate(); },
  };
}

// ---------------------------------------------------------------------------
// The browser stand-in: internal/testpeer/cmd/testpeer, a Pion peer on
// loopback driven by JSON lines (see its main.go). It offers sendrecv Opus +
// VP8, prints {"offer"}, one {"candidate"} per local candidate, then
// {"gatheringDone"}, and {"connected"} once ICE+DTLS are up; it takes
// {"answer"}, {"candidate"}, {"start"}, {"pli"}, {"report"}, {"close"}.

export const PEER_BIN = process.env.TESTPEER_BIN;

export const missingPeer = !PEER_BIN
  ? 'TESTPEER_BIN is not set (build it: go build -o .build/testpeer ./internal/testpeer/cmd/testpeer; then TESTPEER_BIN=$PWD/.build/testpeer)'
  : !fs.existsSync(PEER_BIN)
    ? `TESTPEER_BIN=${PEER_BIN} does not exist (go build -o .build/testpeer ./internal/testpeer/cmd/testpeer)`
    : null;

// ---------------------------------------------------------------------------
// What every test file shares: its prerequisites, the server's config, the
// browser's negotiation, test media

/**
 * Registers the file's prerequisites test (gorento, js/node_modules, with
 * peer the test peer, and the media tools named) and returns the `skip`
 * option of its other tests: false when all are there, else the reason.
 * Under CI=true a missing prerequisite fails instead of skipping.
 */
export function prerequisites({ peer = false, tools = [] } = {}) {
  let why = missing || (peer && missingPeer) || null;
  for (const tool of tools) {
    if (why) break;
    try {
      execFileSync(tool, [tool.startsWith('gst-') ? '--version' : '-version'], { stdio: 'ignore' });
    } catch {
      why = `${tool} not found (scripts/ensure-deps.sh installs it)`;
    }
  }
  const names = ['GORENTO_BIN', ...(peer ? ['TESTPEER_BIN'] : []), ...tools];
  test(`prerequisites: ${names.join(', ')} and js/node_modules`, (t) => {
    if (!why) return;
    if (CI) assert.fail(`${why} (CI=true: a missing prerequisite is a failure)`);
    t.skip(why);
  });
  return why || false;
}

/**
 * gorento for the kurento-client tests: WebRTC on loopback only, no wss and
 * no web listener (so that it runs next to the other test files' servers).
 */
export const LOOPBACK_CONFIG = { webrtc: { loopbackOnly: true }, kurento: { listen: '127.0.0.1:0', secureListen: '' }, web: { listen: '' } };

/**
 * The tutorials' WebRtcPeer ↔ WebRtcEndpoint sequence with the test peer as
 * the browser: ICE candidates both ways, processOffer, gatherCandidates,
 * processAnswer; resolves once ICE and DTLS are up.
 */
export async function negotiate(peer, webRtc, onError = () => {}) {
  const { offer } = await peer.waitFor((m) => m.offer, 'SDP offer');
  peer.each((m) => {
    if (m.candidate) webRtc.addIceCandidate(kurentoClient.getComplexType('IceCandidate')(m.candidate), onError);
  });
  webRtc.on('IceCandidateFound', (event) => peer.addIceCandidate(event.candidate));
  const answer = await cbOk((done) => webRtc.processOffer(offer, done));
  await cbOk((done) => webRtc.gatherCandidates(done));
  peer.processAnswer(answer);
  await peer.waitFor((m) => m.connected, 'ICE and DTLS', 15000);
}

/**
 * Writes a WebM file made with ffmpeg: `seconds` of a lavfi video source
 * (320x240, 30 fps, VP8, a keyframe every `gop` frames) and of a 440 Hz tone
 * (Opus, stereo).
 */
export function makeWebM(file, { video = 'testsrc', seconds = 3, gop = 30 } = {}) {
  const source = video.includes('=') ? `${video}:size=320x240:rate=30` : `${video}=size=320x240:rate=30`;
  execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `${source}:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`, '-c:v', 'libvpx', '-b:v', '300k', '-deadline', 'realtime',
    '-cpu-used', '8', '-g', String(gop), '-c:a', 'libopus', '-ac', '2', file]);
  return file;
}

export class TestPeer {
  constructor() {
    this.messages = []; // every JSON line it printed, in order
    this.stderr = [];
    this.listeners = new Set();
    this.exited = null;
    this.stable = false; // answer applied (RTCPeerConnection signalingState 'stable')
    this.pendingRemote = [];
    this.bufferedRemote = 0; // remote candidates that had to wait for the answer
    this.proc = spawn(PEER_BIN, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exitPromise = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => { this.exited = { code, signal }; resolve(this.exited); });
      this.proc.on('error', (err) => { this.exited = { error: String(err) }; resolve(this.exited); });
    });
    this.proc.stdin.on('error', () => {});
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => {
      let msg;
      try { msg = JSON.parse(line); } catch { msg = { unparsed: line }; }
      this.messages.push(msg);
      for (const fn of [...this.listeners]) fn(msg);
    });
    readline.createInterface({ input: this.proc.stderr }).on('line', (line) => this.stderr.push(line));
  }

  send(cmd) {
    if (!this.exited) this.proc.stdin.write(JSON.stringify(cmd) + '\n');
  }

  /** kurento-utils WebRtcPeer#processAnswer: applies the answer, then the remote candidates buffered so far. */
  processAnswer(sdp) {
    this.send({ answer: sdp });
    this.stable = true;
    for (const c of this.pendingRemote.splice(0)) this.send({ candidate: c });
  }

  /**
   * kurento-utils WebRtcPeer#addIceCandidate: like its bufferizeCandidates(),
   * remote candidates are held until the answer was applied. This matters:
   * kurento-client runs response callbacks as promise continuations but emits
   * events synchronously, so an IceCandidateFound that arrives in the same
   * TCP read as the processOffer answer reaches the app before the answer does.
   */
  addIceCandidate(c) {
    const candidate = { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex };
    if (this.stable) return this.send({ candidate });
    this.pendingRemote.push(candidate);
    this.bufferedRemote++;
  }

  /** Calls fn for every message already printed and every later one. */
  each(fn) {
    for (const m of this.messages) fn(m);
    this.listeners.add(fn);
  }

  /** Resolves the first message since index `from` for which pred is truthy. */
  waitFor(pred, what, timeout = 5000, from = 0) {
    return waitUntil(() => {
      const m = this.messages.slice(from).find(pred);
      if (!m && this.exited) throw new Error(`testpeer exited (${JSON.stringify(this.exited)}) while waiting for ${what}`);
      return m;
    }, `testpeer: ${what}`, timeout);
  }

  /** {"report"}: what the peer sent and received so far. */
  async report() {
    const from = this.messages.length;
    this.send({ report: true });
    return (await this.waitFor((m) => m.report, 'report', 3000, from)).report;
  }

  errors() { return this.messages.filter((m) => m.error || m.unparsed); }

  async close() {
    this.listeners.clear();
    this.send({ close: true });
    this.proc.stdin.end();
    const done = await withTimeout(this.exitPromise, 3000, 'testpeer to exit').catch(() => null);
    if (!done) { this.proc.kill('SIGKILL'); await this.exitPromise; }
  }

  dump(max = 30) {
    const cut = (x) => { const s = JSON.stringify(x); return s.length > 300 ? s.slice(0, 300) + '…' : s; };
    return [...this.messages.slice(-max).map(cut), ...this.stderr.slice(-10).map((l) => `stderr: ${l}`)].join('\n');
  }
}

// ---------------------------------------------------------------------------
// Per-test environment: a fresh gorento, a proxy, tracked clients, cleanup.

export let clientsCreated = 0;

// The client handed to the kurentoClient() callback (or by `await`) is a
// "disguised" copy of the KurentoClient: its non-enumerable properties, such
// as `sessionId` and `_re`, exist only on the original object.
export const originals = new WeakMap();
export const sessionOf = (client) => (originals.get(client) || client).sessionId;

export async function withEnv(t, opts, body) {
  const timeoutMs = opts.timeout || 15000;
  const consoleStart = clientConsole.length;
  const server = await startServer(opts.config);
  const proxy = new RecordingProxy(`ws://${server.addr}`);
  await proxy.start();
  const clients = [];
  const peers = [];
  const env = {
    server,
    proxy,
    /** kurentoClient(uri, options, cb): resolves the client (callback style). */
    connect(options = {}) {
      return new Promise((resolve, reject) => {
        clientsCreated++;
        const c = kurentoClient(proxy.url, { duplicates_timeout: 200, ...options }, (err, client) => {
          if (err) return reject(err);
          originals.set(client, c);
          resolve(client);
        });
        clients.push(c);
      });
    },
    /** kurentoClient(uri, options) without callback: the client object itself. */
    client(options = {}) {
      clientsCreated++;
      const c = kurentoClient(proxy.url, { duplicates_timeout: 200, ...options });
      clients.push(c);
      return c;
    },
    consoleSince() { return clientConsole.slice(consoleStart); },
    /** Spawns a test peer (TESTPEER_BIN), closed after the test. */
    startPeer() {
      const peer = new TestPeer();
      peers.push(peer);
      return peer;
    },
  };
  try {
    await withTimeout(Promise.resolve().then(() => body(env)), timeoutMs, `test body of "${t.name}"`);
    if (server.exited) throw new Error(`gorento exited during the test: ${JSON.stringify(server.exited)}`);
  } catch (err) {
    const say = (text) => { for (const line of text.split('\n')) t.diagnostic(line); };
    say(`--- wire frames (last 80):\n${proxy.dump()}`);
    say(`--- gorento log (last 40 lines):\n${server.logs.slice(-40).join('\n')}`);
    say(`--- client console (last 30):\n${env.consoleSince().slice(-30).map((c) => `${c.level}: ${c.text.split('\n')[0]}`).join('\n')}`);
    peers.forEach((p, i) => say(`--- testpeer ${i} (last 30 lines):\n${p.dump()}`));
    throw err;
  } finally {
    await Promise.all(peers.map((p) => p.close()));
    proxy.release();
    for (const c of clients) c.close();
    // close() disconnects once pending requests are answered; wait for that,
    // then force it so that no reconnection can start after the proxy is gone.
    await waitUntil(() => proxy.openConns().length === 0, 'clients to close', 2000).catch(() => {});
    for (const c of clients) { try { c._re.disconnect(); } catch { /* already gone */ } }
    await proxy.close();
    await server.stop();
  }
}

