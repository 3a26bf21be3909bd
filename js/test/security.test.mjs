// Credentials with unmodified npm clients against the gorento binary
// (docs/security.md): the Kurento port's shared secret sent by the real
// kurento-client@7.3.0 in each way it can send it, and room access tokens
// minted by `gorento token` passed in the room URL as KurentoRoom.js apps do.
//
//   GORENTO_BIN=$PWD/.build/gorento node --test js/test/security.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { missing, kurentoClient, WebSocket, startServer, withTimeout, BIN } from './helpers.mjs';

const skip = missing || false;
const SECRET = 'node-test-kurento-secret';
const KEY = 'node-test-room-key-0123456789abcdef';

/** Handshake status of a raw WebSocket: 101 when it opened. */
function handshake(url, headers = {}) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => { ws.close(); resolve(101); });
    ws.on('unexpected-response', (req, res) => { resolve(res.statusCode); req.destroy(); });
    ws.on('error', () => resolve(0));
  });
}

/** Connects kurento-client, creates and releases a pipeline, closes. */
async function useMediaServer(uri, options) {
  const client = await withTimeout(kurentoClient(uri, options), 10000, `kurento-client on ${uri}`);
  try {
    const pipeline = await client.create('MediaPipeline');
    assert.match(pipeline.id, /_kurento\.MediaPipeline$/);
    await pipeline.release();
  } finally {
    client.close();
  }
}

test('Kurento port secret: unmodified kurento-client sends it as access_token, in ws_uri, as a header or in the URL userinfo', { skip }, async () => {
  const server = await startServer({ kurento: { secureListen: "" }, auth: { kurentoSecret: SECRET } });
  try {
    assert.equal(await handshake(server.url), 401, 'no secret: refused before any JSON-RPC');
    assert.equal(await handshake(`${server.url}?access_token=wrong`), 401, 'wrong secret');
    // kurento-client's own option: it appends ?access_token= to ws_uri.
    await useMediaServer(server.url, { access_token: SECRET });
    await useMediaServer(`${server.url}?access_token=${SECRET}`);
    // options.socket goes to the WebSocket constructor (ws' headers option).
    await useMediaServer(server.url, { socket: { headers: { Authorization: `Bearer ${SECRET}` } } });
    // ws://user:secret@host sends Authorization: Basic.
    await useMediaServer(server.url.replace('ws://', `ws://app:${SECRET}@`));
    // (Without it, kurento-client 7.3.0's socket — websocket-stream over
    // ws 0.7 — raises the 401 as an unhandled 'error' event: an app sees a
    // crash, not a callback error. The raw handshakes above show the refusal.)
    assert.ok(server.logs.some((l) => /websocket refused.*reason=credential/.test(l)), 'refusals logged (debug)');
  } finally {
    await server.stop();
  }
});

test('Kurento port without a secret: unmodified kurento-client still works (zero config)', { skip }, async () => {
  const server = await startServer({ kurento: { secureListen: "" } });
  try {
    await useMediaServer(server.url);
  } finally {
    await server.stop();
  }
});

/** A JSON-RPC room client: joins and returns the answer. */
function joinRoom(url, user, room) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'joinRoom', params: { user, room } })));
    ws.on('message', (data) => {
      const m = JSON.parse(data);
      if (m.id === 1) { ws.close(); resolve(m); }
    });
  });
}

test('room access tokens from `gorento token`, in the room URL', { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(process.env.TMPDIR || '/tmp', 'gorento-token-'));
  const cfgFile = path.join(dir, 'auth.json');
  const config = { kurento: { secureListen: '' }, web: { plain: true }, auth: { keys: { app: KEY } } };
  fs.writeFileSync(cfgFile, JSON.stringify(config));
  const mint = (...args) => execFileSync(BIN, ['token', '-config', cfgFile, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  const server = await startServer(config, { web: true });
  try {
    const roomUrl = `ws://${server.webAddr}/room`;
    const ok = await joinRoom(`${roomUrl}?access_token=${mint('-identity', 'alice', '-room', 'lobby')}`, 'alice', 'lobby');
    assert.ok(ok.result, JSON.stringify(ok));
    for (const [name, url, user, re] of [
      ['missing', roomUrl, 'bob', /access token is required/],
      ['foreign room', `${roomUrl}?access_token=${mint('-identity', 'bob', '-room', 'kitchen')}`, 'bob', /for room 'kitchen'/],
      ['other identity', `${roomUrl}?access_token=${mint('-identity', 'carol', '-room', 'lobby')}`, 'bob', /for user 'carol'/],
      ['no join grant', `${roomUrl}?access_token=${mint('-identity', 'bob', '-room', 'lobby', '-grants', 'subscribe')}`, 'bob', /does not grant joining/],
      ['garbage', `${roomUrl}?access_token=abc.def.ghi`, 'bob', /invalid/],
    ]) {
      const m = await joinRoom(url, user, 'lobby');
      assert.equal(m.error && m.error.code, 401, `${name}: ${JSON.stringify(m)}`);
      assert.match(m.error.message, re, name);
    }
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
