// Conformance test: the real, unmodified npm kurento-client@7.3.0 against the
// gorento binary, through a recording WebSocket proxy that sees every frame in
// both directions and can drop or hold the client's connection.
//
//   cd /work/main && go build -o .build/gorento ./cmd/gorento
//   GORENTO_BIN=$PWD/.build/gorento scripts/netns-run.sh node --test js/test/
//
// Every byte goes to 127.0.0.1 only. Protocol facts referenced below (§x.y) are
// from shared/specs/kurento-protocol.md. WebRtcEndpoint is not covered here
// (see loopback-stats.test.mjs). The helpers (gorento process, recording
// proxy, withEnv, callback wrappers) and the notes on the client quirks that
// shape them are in helpers.mjs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  prerequisites, kurentoClient, sleep, waitUntil, withTimeout, cbResult, cbOk, cbObj, collect, UUID, sortBy,
  assertKurentoError, rawClient, clientsCreated, sessionOf, withEnv,
} from './helpers.mjs';

const skip = prerequisites();

// ---------------------------------------------------------------------------
// 1. Start-up handshake

test('handshake: ping, describe manager_ServerManager, getInfo; sessionId on every later request (callback style)', { skip }, async (t) => {
  assert.equal(clientsCreated, 0, 'this test must create the first KurentoClient of the process (the ping counter is a module global)');
  await withEnv(t, {}, async ({ proxy, connect }) => {
    const client = await connect();
    assert.equal(client.constructor, kurentoClient.KurentoClient, 'callback gets the client');

    const reqs = proxy.requests(0);
    assert.deepEqual(JSON.parse(proxy.frames.find((f) => f.dir === 'c2s').text), { jsonrpc: '2.0', method: 'ping', params: { interval: 5000 }, id: 0 });
    const pong = proxy.answer(0, 0);
    assert.equal(pong.result.value, 'pong');

    assert.equal(reqs[1].method, 'describe');
    assert.equal(reqs[1].id, 1);
    assert.deepEqual(reqs[1].params, { object: 'manager_ServerManager' }, 'first describe has no sessionId');
    const described = proxy.answer(1, 0);
    assert.ok(described && described.result, `describe answered: ${JSON.stringify(described)}`);
    assert.equal(described.result.type, 'ServerManager');
    assert.equal(described.result.qualifiedType, 'kurento.ServerManager');
    assert.deepEqual(described.result.hierarchy, ['kurento.MediaObject']);
    const sessionId = described.result.sessionId;
    assert.match(sessionId, UUID);

    assert.equal(reqs[2].method, 'invoke');
    assert.equal(reqs[2].params.object, 'manager_ServerManager');
    assert.equal(reqs[2].params.operation, 'getInfo');
    const info = proxy.answer(reqs[2].id, 0).result.value;
    assert.equal(info.__type__, 'ServerInfo');
    const modules = info.modules.map((m) => m.name);
    for (const m of ['core', 'elements', 'filters']) assert.ok(modules.includes(m), `getInfo lists module ${m}: ${modules}`);
    assert.ok(info.modules.find((m) => m.name === 'core').factories.includes('PassThrough'));
    assert.ok(info.modules.find((m) => m.name === 'core').factories.includes('MediaPipeline'));
    assert.equal(sessionOf(client), sessionId);

    // Same info through the API, and every later request carries the session.
    const [sm] = await cbObj((done) => client.getServerManager(done));
    const info2 = await cbOk((done) => sm.getInfo(done));
    assert.deepEqual(info2.modules.map((m) => m.name).sort(), [...modules].sort());
    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));
    const [pt] = await cbObj((done) => pipeline.create('PassThrough', done));
    await cbOk((done) => pt.getName(done));
    await cbOk((done) => pipeline.release(done));

    const later = proxy.requests(0).filter((r) => r.id > 1 && r.method !== 'ping');
    assert.ok(later.length >= 5, 'several later requests');
    for (const r of later) assert.equal(r.params.sessionId, sessionId, `${r.method} #${r.id} carries the session id`);
    for (const f of proxy.frames.filter((x) => x.dir === 's2c' && x.msg && x.msg.result && x.msg.result.sessionId !== undefined)) {
      assert.equal(f.msg.result.sessionId, sessionId, `answer #${f.msg.id} echoes the session id`);
    }
    // The create answers carry proper object ids (§2.1).
    const createAnswer = proxy.answer(proxy.requests(0).find((r) => r.method === 'create' && r.params.type === 'PassThrough').id, 0);
    assert.equal(createAnswer.result.value, pt.id);
    assert.ok(pipeline.id.endsWith('_kurento.MediaPipeline'));
    assert.ok(pt.id.startsWith(`${pipeline.id}/`) && pt.id.endsWith('_kurento.PassThrough'), pt.id);
  });
});

test('handshake (promise style): a create sent before the first answer lands in the same session', { skip }, async (t) => {
  await withEnv(t, {}, async ({ proxy, client: makeClient }) => {
    const client = makeClient();
    // Not awaited: kurento-client sends this create before the describe
    // answer (which carries the first sessionId) arrives (§1.3, §7.2).
    const pipelinePromise = client.create('MediaPipeline');
    // `await client` yields a copy without then/catch (disguise.unthenable).
    const connected = await client;
    assert.equal(typeof connected.create, 'function');
    assert.equal(connected.then, undefined);
    const pipeline = await pipelinePromise;
    assert.ok(pipeline.id.endsWith('_kurento.MediaPipeline'));

    const reqs = proxy.requests(0);
    const create = reqs.find((r) => r.method === 'create');
    const describe = reqs.find((r) => r.method === 'describe');
    assert.ok(describe.id < create.id);
    const sessionId = proxy.answer(describe.id, 0).result.sessionId;
    assert.equal(proxy.answer(create.id, 0).result.sessionId, sessionId, 'sessionless create joins the connection\'s session');
    if (create.params.sessionId === undefined) t.diagnostic('create was sent without sessionId, as observed with KMS');

    const sm = await client.getServerManager();
    const info = await sm.getInfo();
    assert.ok(info.modules.some((m) => m.name === 'filters'));
    const pt = await pipeline.create('PassThrough');
    assert.equal(await pt.getName(), pt.id, 'name defaults to the id');
    await pipeline.release();
  });
});

// ---------------------------------------------------------------------------
// 2. Pipelines, PassThrough, connections

test('PassThrough: untyped connect → three ElementConnected, connection listings (callback style)', { skip }, async (t) => {
  await withEnv(t, {}, async ({ proxy, connect }) => {
    const client = await connect();
    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));
    const [a] = await cbObj((done) => pipeline.create('PassThrough', done));
    const [b] = await cbObj((done) => pipeline.create('PassThrough', done));

    const connectedA = collect(a, 'ElementConnected');
    const connectedB = collect(b, 'ElementConnected');
    const [err] = await cbResult((done) => a.connect(b, done));
    assert.ifError(err);
    await waitUntil(() => connectedA.length >= 3, 'three ElementConnected on the source');
    await cbOk((done) => a.getName(done)); // round trip: nothing else pending
    assert.equal(connectedA.length, 3, 'exactly one event per media type');
    assert.deepEqual(connectedA.map((e) => e.mediaType).sort(), ['AUDIO', 'DATA', 'VIDEO']);
    for (const e of connectedA) {
      assert.equal(e.type, 'ElementConnected');
      assert.equal(e.source, a.id);
      assert.equal(e.sink, b.id);
      assert.equal(e.sourceMediaDescription, 'default');
      assert.equal(e.sinkMediaDescription, 'default');
      assert.deepEqual(e.tags, []);
      assert.equal(typeof e.timestampMillis, 'string');
      assert.match(e.timestampMillis, /^\d{13}$/);
    }
    assert.equal(connectedB.length, 0, 'the sink does not raise ElementConnected (KMS raises it on the source)');

    // Wire: connect without mediaType; subscribe answered with a UUID; events framed per §2.8.
    const connectReq = proxy.invokes('connect', 0)[0];
    assert.deepEqual(connectReq.params.operationParams, { sink: b.id });
    assert.equal(proxy.answer(connectReq.id, 0).result.value, null, 'void invoke answers value null');
    const sub = proxy.requests(0).find((r) => r.method === 'subscribe' && r.params.object === a.id);
    assert.equal(sub.params.type, 'ElementConnected');
    assert.match(proxy.answer(sub.id, 0).result.value, UUID);
    const ev = proxy.events(0)[0];
    assert.deepEqual(Object.keys(ev).sort(), ['jsonrpc', 'method', 'params']);
    assert.equal(ev.params.value.object, a.id);
    assert.equal(ev.params.value.type, 'ElementConnected');

    const sinks = await cbOk((done) => a.getSinkConnections(done));
    assert.equal(sinks.length, 3);
    const expected = ['AUDIO', 'DATA', 'VIDEO'].map((type) => ({ source: a.id, sink: b.id, type, sourceDescription: 'default', sinkDescription: 'default' }));
    const strip = (c) => ({ source: typeof c.source === 'string' ? c.source : c.source.id, sink: typeof c.sink === 'string' ? c.sink : c.sink.id, type: c.type, sourceDescription: c.sourceDescription, sinkDescription: c.sinkDescription });
    assert.deepEqual(sortBy(sinks.map(strip), 'type'), expected);
    for (const c of sinks) assert.equal(c.__type__, 'ElementConnectionData');
    const sources = await cbOk((done) => b.getSourceConnections(done));
    assert.deepEqual(sortBy(sources.map(strip), 'type'), expected);
    assert.deepEqual(await cbOk((done) => b.getSinkConnections(done)), []);
    assert.deepEqual(await cbOk((done) => a.getSourceConnections(done)), []);

    // Filters by media type and description.
    const video = await cbOk((done) => a.getSinkConnections('VIDEO', done));
    assert.deepEqual(video.map(strip), [expected[2]]);
    const byDesc = await cbOk((done) => b.getSourceConnections('AUDIO', 'default', done));
    assert.deepEqual(byDesc.map(strip), [expected[0]]);
    assert.deepEqual(await cbOk((done) => b.getSourceConnections('AUDIO', 'nope', done)), []);

    // Helper: client.connect(x, y, …) chains untyped connections. (Objects
    // obtained with `await` are plain copies that fail its instanceof check;
    // these come from callbacks.)
    const [c] = await cbObj((done) => pipeline.create('PassThrough', done));
    await cbOk((done) => client.connect(b, c, done));
    assert.equal((await cbOk((done) => c.getSourceConnections(done))).length, 3);
    assert.equal((await cbOk((done) => b.getSourceConnections(done))).length, 3, 'b keeps its own source');

    // Untyped disconnect → three ElementDisconnected.
    const disconnectedA = collect(a, 'ElementDisconnected');
    await cbOk((done) => a.disconnect(b, done));
    await waitUntil(() => disconnectedA.length >= 3, 'three ElementDisconnected');
    assert.deepEqual(disconnectedA.map((e) => e.mediaType).sort(), ['AUDIO', 'DATA', 'VIDEO']);
    assert.deepEqual(await cbOk((done) => a.getSinkConnections(done)), []);

    await cbOk((done) => pipeline.release(done));
  });
});

test('typed connect/disconnect and sink replacement (promise style)', { skip }, async (t) => {
  await withEnv(t, {}, async ({ proxy, connect }) => {
    const client = await connect();
    const pipeline = await client.create('MediaPipeline');
    const [a, b, c] = await Promise.all([pipeline.create('PassThrough'), pipeline.create('PassThrough'), pipeline.create('PassThrough')]);
    const aConn = collect(a, 'ElementConnected');
    const aDisc = collect(a, 'ElementDisconnected');
    const cConn = collect(c, 'ElementConnected');

    await a.connect(b, 'VIDEO');
    await a.connect(b, 'AUDIO');
    await waitUntil(() => aConn.length >= 2, 'two typed ElementConnected');
    assert.deepEqual(aConn.map((e) => e.mediaType), ['VIDEO', 'AUDIO']);
    const typed = proxy.invokes('connect', 0);
    assert.deepEqual(typed[0].params.operationParams, { sink: b.id, mediaType: 'VIDEO' });
    assert.deepEqual((await b.getSourceConnections()).map((x) => x.type).sort(), ['AUDIO', 'VIDEO']);

    // Typed disconnect.
    await a.disconnect(b, 'AUDIO');
    await waitUntil(() => aDisc.length >= 1, 'ElementDisconnected AUDIO');
    assert.equal(aDisc[0].mediaType, 'AUDIO');
    assert.equal(aDisc[0].sink, b.id);
    assert.deepEqual((await b.getSourceConnections()).map((x) => x.type), ['VIDEO']);

    // A second source for the same sink and media type replaces the first.
    await c.connect(b, 'VIDEO');
    await waitUntil(() => aDisc.length >= 2 && cConn.length >= 1, 'replacement events');
    assert.equal(aDisc[1].mediaType, 'VIDEO', 'old source gets ElementDisconnected');
    assert.equal(aDisc[1].sink, b.id);
    assert.equal(aDisc[1].source, a.id);
    assert.equal(cConn[0].mediaType, 'VIDEO');
    const src = await b.getSourceConnections('VIDEO');
    assert.equal(src.length, 1);
    assert.equal(src[0].source, c.id);
    assert.deepEqual(await a.getSinkConnections(), [], 'old source has no connection left');
    assert.equal((await c.getSinkConnections()).length, 1);

    await pipeline.release();
  });
});

test('MediaObject properties: parent, pipeline, children, creation time, defaults, describe hierarchy', { skip }, async (t) => {
  await withEnv(t, {}, async ({ proxy, connect }) => {
    const client = await connect();
    const before = Math.floor(Date.now() / 1000);
    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));
    const [a] = await cbObj((done) => pipeline.create('PassThrough', done));
    const [b] = await cbObj((done) => pipeline.create('PassThrough', done));

    // Remote-object results are resolved through the client's cache (and
    // handed out as copies, like every object passed through getMediaobjectById).
    const [parent] = await cbObj((done) => a.getParent(done));
    assert.equal(parent.id, pipeline.id);
    assert.equal(parent.constructor.name, 'MediaPipeline');
    const [mp] = await cbObj((done) => a.getMediaPipeline(done));
    assert.equal(mp.id, pipeline.id);
    const [own] = await cbObj((done) => pipeline.getMediaPipeline(done));
    assert.equal(own.id, pipeline.id, "a pipeline's mediaPipeline is itself");
    const children = await cbResult((done) => pipeline.getChildren(done));
    assert.ifError(children[0]);
    assert.deepEqual(children[1].map((x) => x.id).sort(), [a.id, b.id].sort());
    assert.deepEqual((await cbResult((done) => a.getChildren(done)))[1], []);
    const getParent = proxy.invokes('getParent', 0)[0];
    assert.equal(proxy.answer(getParent.id, 0).result.value, pipeline.id, 'remote objects travel as id strings');

    const created = await cbOk((done) => a.getCreationTime(done));
    assert.ok(Number.isInteger(created) && created >= before - 1 && created <= Date.now() / 1000 + 1, `creationTime ${created} is seconds since the epoch`);

    // Defaults (§8.9) and a setter round trip.
    assert.equal(await cbOk((done) => pipeline.getLatencyStats(done)), false);
    await cbOk((done) => pipeline.setLatencyStats(true, done));
    assert.equal(await cbOk((done) => pipeline.getLatencyStats(done)), true);
    assert.equal(await cbOk((done) => a.getEncoderBitrate(done)), 300000);
    assert.equal(await cbOk((done) => a.getMinEncoderBitrate(done)), 0);
    assert.equal(await cbOk((done) => a.getMaxEncoderBitrate(done)), 0);
    await cbOk((done) => a.setMaxEncoderBitrate(500000, done));
    assert.equal(await cbOk((done) => a.getMaxEncoderBitrate(done)), 500000);
    assert.equal(typeof await cbOk((done) => pipeline.getGstreamerDot(done)), 'string');

    // Every event the client's classes declare can be subscribed (§8.5);
    // a refused subscribe would be an uncaught 'error' event.
    const sm = (await cbObj((done) => client.getServerManager(done)))[0];
    const subscribed = [];
    for (const obj of [a, pipeline, sm]) {
      for (const event of obj.constructor.events) {
        obj.on(event, () => {});
        subscribed.push(`${obj.id} ${event}`);
      }
    }
    await cbOk((done) => a.getName(done));
    const subs = proxy.requests(0).filter((r) => r.method === 'subscribe');
    assert.deepEqual(subs.map((r) => `${r.params.object} ${r.params.type}`), subscribed);
    assert.ok(subscribed.length >= 8, subscribed.join(', '));
    for (const r of subs) assert.match(proxy.answer(r.id, 0).result.value, UUID, `subscribe ${r.params.type}`);

    // describe from a fresh client (not cached there): class by qualifiedType.
    const other = await connect();
    const [seen] = await cbObj((done) => other.getMediaobjectById(a.id, done));
    assert.equal(seen.constructor.name, 'PassThrough');
    assert.equal(seen.id, a.id);
    const desc = proxy.requests(1).find((r) => r.method === 'describe' && r.params.object === a.id);
    assert.deepEqual(
      (({ type, qualifiedType, hierarchy }) => ({ type, qualifiedType, hierarchy }))(proxy.answer(desc.id, 1).result),
      { type: 'PassThrough', qualifiedType: 'kurento.PassThrough', hierarchy: ['kurento.MediaElement', 'kurento.MediaObject'] },
    );
    const [seenPipeline] = await cbObj((done) => other.getMediaobjectById(pipeline.id, done));
    assert.equal(seenPipeline.constructor.name, 'MediaPipeline');
    const descP = proxy.requests(1).find((r) => r.method === 'describe' && r.params.object === pipeline.id);
    assert.deepEqual(proxy.answer(descP.id, 1).result.hierarchy, ['kurento.MediaObject']);
    await cbOk((done) => pipeline.release(done));
  });
});

test('objects are shared between sessions: each subscribed session gets each event once', { skip }, async (t) => {
  await withEnv(t, {}, async ({ proxy, connect }) => {
    const one = await connect();
    const two = await connect();
    assert.notEqual(sessionOf(one), sessionOf(two));
    const [pipeline] = await cbObj((done) => one.create('MediaPipeline', done));
    const [a] = await cbObj((done) => pipeline.create('PassThrough', done));
    const [b] = await cbObj((done) => pipeline.create('PassThrough', done));
    const [a2] = await cbObj((done) => two.getMediaobjectById(a.id, done));
    const ev1 = collect(a, 'ElementConnected');
    const ev2 = collect(a2, 'ElementConnected');
    await cbOk((done) => a2.getName(done)); // subscribe of session two answered
    await cbOk((done) => a.connect(b, 'VIDEO', done));
    await waitUntil(() => ev1.length >= 1 && ev2.length >= 1, 'event in both sessions');
    await cbOk((done) => a.getName(done));
    await cbOk((done) => a2.getName(done));
    assert.equal(ev1.length, 1);
    assert.equal(ev2.length, 1);
    assert.equal(proxy.events(0).length, 1, 'one onEvent on the first connection');
    assert.equal(proxy.events(1).length, 1, 'one onEvent on the second connection');

    const sm = (await cbObj((done) => two.getServerManager(done)))[0];
    const sessions = await cbOk((done) => sm.getSessions(done));
    assert.ok(sessions.includes(sessionOf(one)) && sessions.includes(sessionOf(two)));

    // Session two releases the pipeline: gone for session one as well.
    const [p2] = await cbObj((done) => two.getMediaobjectById(pipeline.id, done));
    await cbOk((done) => p2.release(done));
    const [err] = await cbResult((done) => a.getName(done));
    assertKurentoError(err, ReferenceError, 40101, 'MEDIA_OBJECT_NOT_FOUND');
  });
});

// ---------------------------------------------------------------------------
// 3. Names and tags

test('names and tags, getTag of a missing key → 40110, sendTagsInEvents', { skip }, async (t) => {
  await withEnv(t, {}, async ({ proxy, connect, consoleSince }) => {
    const client = await connect();
    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));
    const [pt] = await cbObj((done) => pipeline.create('PassThrough', done));
    const [sink] = await cbObj((done) => pipeline.create('PassThrough', done));

    assert.equal(await cbOk((done) => pt.getName(done)), pt.id, 'name defaults to the id');
    await cbOk((done) => pt.setName('my-passthrough', done));
    assert.equal(await cbOk((done) => pt.getName(done)), 'my-passthrough');
    assert.equal(await pipeline.setName('my-pipeline').then(() => pipeline.getName()), 'my-pipeline');
    const setName = proxy.invokes('setName', 0)[0];
    assert.deepEqual(setName.params.operationParams, { name: 'my-passthrough' });

    assert.deepEqual(await cbOk((done) => pt.getTags(done)), []);
    await cbOk((done) => pt.addTag('room', 'r1', done));
    await cbOk((done) => pt.addTag('user', 'alice', done));
    assert.equal(await cbOk((done) => pt.getTag('room', done)), 'r1');
    assert.equal(await pt.getTag('user'), 'alice');
    const tags = await cbOk((done) => pt.getTags(done));
    assert.deepEqual(sortBy(tags, 'key').map(({ key, value }) => ({ key, value })), [{ key: 'room', value: 'r1' }, { key: 'user', value: 'alice' }]);
    for (const tag of tags) assert.equal(tag.__type__, 'Tag');
    const addTag = proxy.invokes('addTag', 0)[0];
    assert.deepEqual(addTag.params.operationParams, { key: 'room', value: 'r1' });

    await cbOk((done) => pt.removeTag('room', done));
    await cbOk((done) => pt.removeTag('never-there', done)); // no error when absent
    assert.deepEqual((await cbOk((done) => pt.getTags(done))).map((x) => x.key), ['user']);

    const [err, value] = await cbResult((done) => pt.getTag('room', done));
    assert.equal(value, undefined);
    assertKurentoError(err, Error, 40110, 'MEDIA_OBJECT_TAG_KEY_NOT_FOUND');
    assert.ok(!(err instanceof ReferenceError) && !(err instanceof TypeError) && !(err instanceof SyntaxError));

    // Client quirk (§6.4): with the promise API the error is swallowed.
    const traces = consoleSince().filter((c) => c.level === 'trace').length;
    assert.equal(await pt.getTag('room'), undefined, 'promise API resolves undefined on error');
    const trace = consoleSince().filter((c) => c.level === 'trace').slice(traces)[0];
    assert.ok(trace && trace.args[0] && trace.args[0].code === 40110, 'the swallowed error is the 40110 answer (console.trace)');

    // sendTagsInEvents: tags travel in event data.
    assert.equal(await cbOk((done) => pt.getSendTagsInEvents(done)), false);
    const plain = collect(pt, 'ElementConnected');
    await cbOk((done) => pt.connect(sink, 'AUDIO', done));
    await waitUntil(() => plain.length >= 1, 'ElementConnected without tags');
    assert.deepEqual(plain[0].tags, []);
    await cbOk((done) => pt.setSendTagsInEvents(true, done));
    assert.equal(await cbOk((done) => pt.getSendTagsInEvents(done)), true);
    await cbOk((done) => pt.connect(sink, 'VIDEO', done));
    await waitUntil(() => plain.length >= 2, 'ElementConnected with tags');
    assert.equal(plain[1].tags.length, 1);
    assert.equal(plain[1].tags[0].key, 'user');
    assert.equal(plain[1].tags[0].value, 'alice');
    assert.equal(plain[1].tags[0].__type__, 'Tag');

    await cbOk((done) => pipeline.release(done));
  });
});

// ---------------------------------------------------------------------------
// 4. Errors

test('errors arrive as the right JS classes with code and data.type', { skip }, async (t) => {
  await withEnv(t, {}, async ({ proxy, connect }) => {
    const client = await connect();

    // Unknown object id → ReferenceError 40101 (describe).
    const [err1] = await cbResult((done) => client.getMediaobjectById('nonexistent_kurento.MediaPipeline', done));
    assertKurentoError(err1, ReferenceError, 40101, 'MEDIA_OBJECT_NOT_FOUND', /nonexistent_kurento\.MediaPipeline/);
    assert.equal(typeof err1.requestTimestamp, 'number');
    assert.equal(typeof err1.responseTimestamp, 'number');
    const describeReq = proxy.requests(0).find((r) => r.method === 'describe' && r.params.object === 'nonexistent_kurento.MediaPipeline');
    const describeAns = proxy.answer(describeReq.id, 0);
    assert.equal(describeAns.error.code, 40101);
    assert.equal(describeAns.error.data.type, 'MEDIA_OBJECT_NOT_FOUND');
    assert.equal(describeAns.result, undefined);
    // Promise style of the same call rejects properly.
    await assert.rejects(client.getMediaobjectById('nonexistent_kurento.MediaPipeline'), (e) => e instanceof ReferenceError && e.code === 40101);

    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));
    const [other] = await cbObj((done) => client.create('MediaPipeline', done));
    const [a] = await cbObj((done) => pipeline.create('PassThrough', done));
    const [x] = await cbObj((done) => other.create('PassThrough', done));

    // Unknown operation through the client's raw invoke → Error 40008.
    const [err2] = await cbResult((done) => a._invoke(undefined, 'bogusOp', { foo: 1 }, done));
    assertKurentoError(err2, Error, 40008, 'MALFORMED_TRANSACTION', /bogusOp/);
    const bogus = proxy.invokes('bogusOp', 0)[0];
    assert.deepEqual(bogus.params.operationParams, { foo: 1 });

    // Elements of two different pipelines → Error 40004 CONNECT_ERROR.
    const [err3] = await cbResult((done) => a.connect(x, done));
    assertKurentoError(err3, Error, 40004, 'CONNECT_ERROR');
    assert.deepEqual(await cbOk((done) => a.getSinkConnections(done)), [], 'nothing was connected');

    // Invalid enum value → 40001 MARSHALL_ERROR (the client does not check MediaType).
    const [err4] = await cbResult((done) => a.getSinkConnections('SMELL', done));
    assertKurentoError(err4, Error, 40001, 'MARSHALL_ERROR');

    // Unknown type: the strict (default) client refuses locally, before sending.
    const creates = proxy.requests(0).filter((r) => r.method === 'create').length;
    assert.throws(() => pipeline.create('Teleporter', () => {}), (e) => e instanceof SyntaxError && /Unknown type/.test(e.message));
    assert.equal(proxy.requests(0).filter((r) => r.method === 'create').length, creates, 'nothing sent');

    // Non-strict client: the create reaches the server → 40108 MEDIA_OBJECT_NOT_AVAILABLE.
    const loose = await connect({ strict: false });
    const [err5, obj] = await cbResult((done) => loose.create('Teleporter', done));
    assert.equal(obj, undefined);
    assertKurentoError(err5, Error, 40108, 'MEDIA_OBJECT_NOT_AVAILABLE', /Teleporter/);
    const teleReq = proxy.requests(1).find((r) => r.method === 'create');
    assert.equal(teleReq.params.type, 'Teleporter');
    await assert.rejects(loose.create('Teleporter'), (e) => e.code === 40108);

    // ServerManager.getKmd of an unknown module → 40500.
    const [sm] = await cbObj((done) => client.getServerManager(done));
    const [err6] = await cbResult((done) => sm.getKmd('no-such-module', done));
    assertKurentoError(err6, Error, 40500, 'SERVER_MANAGER_ERROR_KMD_NOT_FOUND');

    // After all these errors the connection still works.
    assert.equal(await cbOk((done) => a.getName(done)), a.id);
    assert.equal(proxy.conns.filter((c) => !c.closed).length, 2);
    await cbOk((done) => pipeline.release(done));
    await cbOk((done) => other.release(done));
  });
});

// ---------------------------------------------------------------------------
// 5. ServerManager

test('ServerManager: getPipelines, getSessions, getCpuCount, getUsedMemory, ObjectCreated/ObjectDestroyed', { skip }, async (t) => {
  await withEnv(t, {}, async ({ connect }) => {
    const client = await connect();
    const [sm] = await cbObj((done) => client.getServerManager(done));
    assert.equal(sm.id, 'manager_ServerManager');

    const created = collect(sm, 'ObjectCreated');
    const destroyed = collect(sm, 'ObjectDestroyed');
    await cbOk((done) => sm.getCpuCount(done)); // round trip after the subscriptions

    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));
    const [pt] = await cbObj((done) => pipeline.create('PassThrough', done));
    await waitUntil(() => created.length >= 2, 'two ObjectCreated');
    assert.deepEqual(created.map((e) => e.object), [pipeline.id, pt.id]);
    for (const e of created) {
      assert.equal(e.type, 'ObjectCreated');
      assert.equal(e.source, 'manager_ServerManager');
      assert.match(e.timestampMillis, /^\d+$/);
    }

    const pipelines = await cbOk((done) => sm.getPipelines(done));
    assert.ok(Array.isArray(pipelines));
    assert.ok(pipelines.some((p) => p.id === pipeline.id), 'getPipelines lists the pipeline');
    for (const p of pipelines) assert.equal(p.constructor.name, 'MediaPipeline');
    const promised = await sm.getPipelines();
    assert.ok(promised.some((p) => p.id === pipeline.id));

    const sessions = await cbOk((done) => sm.getSessions(done));
    assert.ok(sessions.includes(sessionOf(client)), `getSessions ${JSON.stringify(sessions)} includes ${sessionOf(client)}`);
    for (const s of sessions) assert.match(s, UUID);

    const cpus = await cbOk((done) => sm.getCpuCount(done));
    assert.ok(Number.isInteger(cpus) && cpus >= 1, `getCpuCount ${cpus}`);
    const mem = await cbOk((done) => sm.getUsedMemory(done));
    assert.ok(Number.isInteger(mem) && mem > 0, `getUsedMemory ${mem} (KiB)`);
    const usedCpu = await cbOk((done) => sm.getUsedCpu(100, done));
    assert.equal(typeof usedCpu, 'number');

    // Releasing the pipeline: ObjectDestroyed for it and for its element.
    await cbOk((done) => pipeline.release(done));
    await waitUntil(() => destroyed.length >= 2, 'two ObjectDestroyed');
    assert.deepEqual(destroyed.map((e) => e.objectId).sort(), [pipeline.id, pt.id].sort());
    for (const e of destroyed) assert.equal(e.type, 'ObjectDestroyed');
    const after = await cbOk((done) => sm.getPipelines(done));
    assert.ok(!after.some((p) => p.id === pipeline.id), 'released pipeline no longer listed');
  });
});

// ---------------------------------------------------------------------------
// 6. Transactions

test('explicit transactions: beginTransaction/commit and pipeline.transaction with newref references', { skip }, async (t) => {
  await withEnv(t, {}, async ({ proxy, connect }) => {
    const client = await connect();

    const tx = client.beginTransaction();
    const pipeline = client.create(tx, 'MediaPipeline');
    const a = pipeline.create(tx, 'PassThrough');
    const b = pipeline.create(tx, 'PassThrough');
    // (MediaElement#connect cannot join an explicit transaction in 7.3.0: it
    // re-reads `arguments[0]` after shifting the transaction off. Other
    // methods can, but only with a callback: the shift leaves the callback
    // parameter holding the last argument when none is given.)
    const setNameDone = cbResult((done) => a.setName(tx, 'a-in-tx', done));
    const addTagDone = cbResult((done) => b.addTag(tx, 'k', 'v', done));
    assert.equal(pipeline.id, undefined, 'nothing created before commit');
    await cbOk((done) => tx.commit(done));
    assert.ok(pipeline.id.endsWith('_kurento.MediaPipeline'), `pipeline id ${pipeline.id}`);
    assert.ok(a.id.startsWith(`${pipeline.id}/`) && b.id.startsWith(`${pipeline.id}/`));

    const txReq = proxy.requests(0).find((r) => r.method === 'transaction');
    const ops = txReq.params.operations;
    assert.deepEqual(ops.map((o) => [o.id, o.method]), [[0, 'create'], [1, 'create'], [2, 'create'], [3, 'invoke'], [4, 'invoke']]);
    assert.equal(ops[0].params.type, 'MediaPipeline');
    assert.equal(ops[1].params.constructorParams.mediaPipeline, 'newref:0');
    assert.equal(ops[2].params.constructorParams.mediaPipeline, 'newref:0');
    assert.equal(ops[3].params.object, 'newref:1');
    assert.equal(ops[3].params.operation, 'setName');
    assert.equal(ops[4].params.object, 'newref:2');
    assert.deepEqual(ops[4].params.operationParams, { key: 'k', value: 'v' });
    const txAns = proxy.answer(txReq.id, 0);
    assert.equal(txAns.result.sessionId, sessionOf(client));
    assert.equal(txAns.result.value.length, 5);
    assert.deepEqual(txAns.result.value.map((r) => r.id), [0, 1, 2, 3, 4]);
    for (const r of txAns.result.value) assert.equal(r.jsonrpc, '2.0');
    assert.deepEqual(txAns.result.value.slice(0, 3).map((r) => r.result.value), [pipeline.id, a.id, b.id]);
    assert.equal(txAns.result.value[3].result.value, null);
    assert.deepEqual(await setNameDone, [null, null], 'setName callback (KMS-style value null passes through)');
    assert.deepEqual((await addTagDone)[0], null);
    assert.equal(await cbOk((done) => a.getName(done)), 'a-in-tx', 'operations on newref objects ran');
    assert.equal(await cbOk((done) => b.getTag('k', done)), 'v');

    // pipeline.transaction(fn): everything created inside fn is one request.
    let c, d;
    await cbOk((done) => pipeline.transaction(function () {
      c = this.create('PassThrough');
      d = this.create('PassThrough');
      c.connect(d, 'VIDEO');
      c.setName('c-in-tx');
    }, done));
    assert.ok(c.id && d.id);
    const tx2 = proxy.requests(0).filter((r) => r.method === 'transaction')[1];
    const ops2 = tx2.params.operations;
    assert.deepEqual(ops2.map((o) => o.method), ['create', 'create', 'invoke', 'invoke']);
    assert.equal(ops2[0].params.constructorParams.mediaPipeline, pipeline.id);
    assert.equal(ops2[2].params.object, 'newref:0');
    assert.equal(ops2[2].params.operationParams.sink, 'newref:1');
    assert.equal(await cbOk((done) => c.getName(done)), 'c-in-tx');
    assert.deepEqual((await cbOk((done) => d.getSourceConnections(done))).map((x) => x.type), ['VIDEO']);

    // A failing operation stops the transaction: its error reaches the
    // operation's callback, and later operations are not executed.
    const tx3 = client.beginTransaction();
    const okName = cbResult((done) => a.setName(tx3, 'before-failure', done));
    const failing = cbResult((done) => a.getTag(tx3, 'missing', done));
    const skipped = cbResult((done) => a.setName(tx3, 'after-failure', done));
    await cbResult((done) => tx3.commit(done));
    const tx3req = proxy.requests(0).filter((r) => r.method === 'transaction').at(-1);
    assert.equal(tx3req.params.operations.length, 3);
    const tx3ans = proxy.answer(tx3req.id, 0).result.value;
    assert.equal(tx3ans.length, 2, 'no answer entry after the failing operation');
    assert.equal(tx3ans[1].error.code, 40110);
    assert.equal(tx3ans[1].error.data.type, 'MEDIA_OBJECT_TAG_KEY_NOT_FOUND');
    assert.ifError((await okName)[0]);
    assert.equal((await failing)[0] && (await failing)[0].code, 40110);
    const [skippedErr] = await skipped;
    assert.equal(skippedErr && skippedErr.message, 'Command not executed in the server');
    assert.equal(await cbOk((done) => a.getName(done)), 'before-failure');

    await cbOk((done) => pipeline.release(done));
  });
});

test('implicit transactions (useImplicitTransactions: true)', { skip }, async (t) => {
  await withEnv(t, {}, async ({ proxy, connect }) => {
    const client = await connect({ useImplicitTransactions: true });
    const pipeline = await client.create('MediaPipeline');
    // Requests queued in the same tick are batched into one transaction.
    const [a, b, c] = await Promise.all([pipeline.create('PassThrough'), pipeline.create('PassThrough'), pipeline.create('PassThrough')]);
    for (const e of [a, b, c]) assert.ok(e.id.startsWith(`${pipeline.id}/`), e.id);
    const batches = proxy.requests(0).filter((r) => r.method === 'transaction');
    assert.ok(batches.length >= 1, 'at least one implicit transaction');
    const batch = batches.find((r) => r.params.operations.filter((o) => o.method === 'create' && o.params.type === 'PassThrough').length === 3);
    assert.ok(batch, `the three creates went in one transaction: ${JSON.stringify(batches.map((r) => r.params.operations.map((o) => o.method)))}`);
    for (const op of batch.params.operations) assert.equal(op.params.sessionId, sessionOf(client));
    const ans = proxy.answer(batch.id, 0);
    assert.equal(ans.result.value.length, batch.params.operations.length);

    const connected = collect(a, 'ElementConnected');
    await cbOk((done) => a.connect(b, done));
    await waitUntil(() => connected.length >= 3, 'events through an implicit-transaction client');
    // A failing operation inside an implicit batch: its error reaches its own
    // callback (as the raw JSON-RPC error object: the client does not turn
    // errors of transaction operations into Error instances).
    const [[tagErr], [nameErr, name]] = await Promise.all([
      cbResult((done) => a.getTag('missing', done)),
      cbResult((done) => b.getName(done)),
    ]);
    const last = proxy.requests(0).filter((r) => r.method === 'transaction').at(-1);
    assert.deepEqual(last.params.operations.map((o) => o.params.operation), ['getTag', 'getName'], 'both calls went in one batch');
    assert.equal(tagErr && tagErr.code, 40110);
    assert.equal(tagErr.data.type, 'MEDIA_OBJECT_TAG_KEY_NOT_FOUND');
    assert.equal(proxy.answer(last.id, 0).result.value.length, 1, 'the batch stopped at the failing operation');
    assert.equal(name, undefined);
    assert.equal(nameErr && nameErr.message, 'Command not executed in the server');
    await cbOk((done) => pipeline.release(done));
  });
});

// ---------------------------------------------------------------------------
// 7. Release

test('release: children go with the pipeline, twice is harmless, auto-unsubscribe succeeds', { skip }, async (t) => {
  await withEnv(t, {}, async ({ proxy, connect }) => {
    const client = await connect();
    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));
    const [a] = await cbObj((done) => pipeline.create('PassThrough', done));
    const [b] = await cbObj((done) => pipeline.create('PassThrough', done));
    a.on('ElementConnected', () => {});
    a.on('ElementDisconnected', () => {});
    b.on('ElementConnected', () => {});
    await cbOk((done) => a.connect(b, done));
    const unsubscribes = () => proxy.requests(0).filter((r) => r.method === 'unsubscribe');

    // Releasing an element alone: the client then unsubscribes its events,
    // for an object that no longer exists (§2.5); that must succeed.
    const [relErr] = await cbResult((done) => b.release(done));
    assert.ifError(relErr);
    await waitUntil(() => unsubscribes().length === 1 && proxy.answer(unsubscribes()[0].id, 0), 'unsubscribe of b answered');
    assert.equal(unsubscribes()[0].params.object, b.id);
    assert.deepEqual(await cbOk((done) => a.getSinkConnections(done)), [], 'connections of a released sink are gone');
    const [gone] = await cbResult((done) => b.getName(done));
    assertKurentoError(gone, ReferenceError, 40101, 'MEDIA_OBJECT_NOT_FOUND');

    // Releasing the pipeline releases a too; releasing a afterwards still
    // succeeds, and its listeners are then unsubscribed.
    const before = proxy.requests(0).length;
    await cbOk((done) => pipeline.release(done));
    const [relA] = await cbResult((done) => a.release(done));
    assert.ifError(relA, 'release of an element already released with its pipeline succeeds');
    await waitUntil(() => unsubscribes().length === 3 && unsubscribes().every((r) => proxy.answer(r.id, 0)), 'three answered unsubscribes');
    assert.deepEqual(unsubscribes().map((r) => r.params.object), [b.id, a.id, a.id]);
    for (const r of unsubscribes()) {
      assert.match(r.params.subscription, UUID);
      const ans = proxy.answer(r.id, 0);
      assert.ok(ans.result && !ans.error, `unsubscribe answered with success: ${JSON.stringify(ans)}`);
      assert.equal(ans.result.sessionId, sessionOf(client));
    }
    const releases = proxy.requests(0).slice(before).filter((r) => r.method === 'release');
    assert.deepEqual(releases.map((r) => r.params.object), [pipeline.id, a.id]);
    for (const r of releases) assert.deepEqual(Object.keys(proxy.answer(r.id, 0).result), ['sessionId']);

    // describe / getMediaobjectById of a child now fails with 40101.
    const [err] = await cbResult((done) => client.getMediaobjectById(a.id, done));
    assertKurentoError(err, ReferenceError, 40101, 'MEDIA_OBJECT_NOT_FOUND');
    const [err2] = await cbResult((done) => client.getMediaobjectById(pipeline.id, done));
    assertKurentoError(err2, ReferenceError, 40101, 'MEDIA_OBJECT_NOT_FOUND');

    // Release twice is harmless.
    const [again] = await cbResult((done) => pipeline.release(done));
    assert.ifError(again);
    await pipeline.release();

    // Everything still works afterwards.
    const [p2] = await cbObj((done) => client.create('MediaPipeline', done));
    await cbOk((done) => p2.release(done));
  });
});

// ---------------------------------------------------------------------------
// 8. Reconnection

test('reconnection: ping + connect {sessionId}, reconnected(true), subscriptions survive on the new socket', { skip }, async (t) => {
  await withEnv(t, {}, async ({ proxy, connect }) => {
    const client = await connect();
    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));
    const [a] = await cbObj((done) => pipeline.create('PassThrough', done));
    const [b] = await cbObj((done) => pipeline.create('PassThrough', done));
    const events = collect(a, 'ElementConnected');
    await cbOk((done) => a.setName('before-drop', done)); // round trip: subscribe answered
    const sessionId = sessionOf(client);
    const lastId = Math.max(...proxy.requests(0).map((r) => r.id));

    const reconnected = new Promise((resolve) => client.once('reconnected', resolve));
    proxy.drop();
    const same = await withTimeout(reconnected, 8000, "'reconnected' event");
    assert.equal(same, true);
    assert.equal(proxy.conns.length, 2, 'one new connection');

    const reqs = proxy.requests(1);
    assert.equal(reqs[0].method, 'ping');
    assert.equal(reqs[0].params, undefined, 'the ping after a reconnection has no params');
    assert.ok(reqs[0].id > lastId, 'ids keep increasing across reconnections');
    assert.equal(reqs[1].method, 'connect');
    assert.deepEqual(reqs[1].params, { sessionId });
    const ans = proxy.answer(reqs[1].id, 1);
    assert.equal(ans.result.sessionId, sessionId);
    assert.match(ans.result.serverId, UUID);
    assert.equal(sessionOf(client), sessionId);

    // Same objects, same subscriptions, events on the new socket.
    assert.equal(await cbOk((done) => a.getName(done)), 'before-drop');
    await cbOk((done) => a.connect(b, done));
    await waitUntil(() => events.length >= 3, 'ElementConnected after reconnection');
    assert.ok(proxy.events(1).length >= 3, 'events came on the new connection');
    assert.equal(proxy.requests(1).filter((r) => r.method === 'subscribe').length, 0, 'no re-subscription was needed');
    for (const r of proxy.requests(1).filter((x) => x.method !== 'ping' && x.method !== 'connect')) assert.equal(r.params.sessionId, sessionId);
    const [p2] = await cbObj((done) => client.create('MediaPipeline', done));
    await cbOk((done) => p2.release(done));
    await cbOk((done) => pipeline.release(done));
  });
});

test('reconnection while gorento still holds the stale socket: events follow the session to the new one', { skip }, async (t) => {
  await withEnv(t, {}, async ({ proxy, connect }) => {
    const client = await connect();
    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));
    const [a] = await cbObj((done) => pipeline.create('PassThrough', done));
    const [b] = await cbObj((done) => pipeline.create('PassThrough', done));
    const events = collect(a, 'ElementConnected');
    await cbOk((done) => a.getName(done));

    const reconnected = new Promise((resolve) => client.once('reconnected', resolve));
    proxy.drop({ keepUpstream: true }); // gorento does not see this drop
    assert.equal(await withTimeout(reconnected, 8000, "'reconnected' event"), true);
    const conn0Events = proxy.frames.filter((f) => f.conn === 0 && f.dir === 's2c' && f.msg && f.msg.method === 'onEvent').length;

    await cbOk((done) => a.connect(b, 'AUDIO', done));
    await waitUntil(() => events.length >= 1, 'event after reconnection');
    assert.equal(proxy.events(1).length, 1, 'the event went to the new connection');
    assert.equal(proxy.frames.filter((f) => f.conn === 0 && f.dir === 's2c' && f.msg && f.msg.method === 'onEvent').length, conn0Events,
      'nothing went to the stale connection');

    // gorento now notices the old socket closing: the session stays bound to the new one.
    proxy.closeUpstream(0);
    await sleep(100);
    await cbOk((done) => a.connect(b, 'VIDEO', done));
    await waitUntil(() => events.length >= 2, 'event after the stale socket closed');
    assert.equal(proxy.events(1).length, 2);
    const ping = proxy.frames.length;
    proxy.inject('{"jsonrpc":"2.0","method":"ping","id":"bound?"}', 1);
    await waitUntil(() => proxy.frames.slice(ping).find((f) => f.dir === 's2c' && f.msg && f.msg.id === 'bound?'), 'pong');
    assert.equal(proxy.answer('bound?', 1).result.sessionId, sessionOf(client), 'new connection still bound to the session');
    await cbOk((done) => pipeline.release(done));
  });
});

test('reconnection after the session was garbage-collected: connect → 40007, reconnected(false)', { skip }, async (t) => {
  await withEnv(t, { config: { kurento: { gcPeriod: '1s' } }, timeout: 20000 }, async ({ server, proxy, connect, consoleSince }) => {
    const client = await connect();
    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));
    const [pt] = await cbObj((done) => pipeline.create('PassThrough', done));
    const sessionId = sessionOf(client);

    // A second pipeline is also referenced by another session: it must
    // survive the collection of the first one.
    const [shared] = await cbObj((done) => client.create('MediaPipeline', done));
    const raw = await rawClient(server.url);
    try {
      assert.ok((await raw.call('describe', { object: shared.id })).result, 'raw session references the shared pipeline');
      const sessions = (await raw.call('invoke', { object: 'manager_ServerManager', operation: 'getSessions' })).result.value;
      assert.ok(sessions.includes(sessionId));

      const reconnected = new Promise((resolve) => client.once('reconnected', resolve));
      proxy.hold(); // the client's reconnection attempts wait unanswered
      const droppedAt = Date.now();
      proxy.drop();

      // The session and its objects are collected after 1–2 GC periods.
      let gone = false;
      for (let i = 0; i < 60 && !gone; i++) {
        await sleep(100);
        const s = (await raw.call('invoke', { object: 'manager_ServerManager', operation: 'getSessions' })).result.value;
        gone = !s.includes(sessionId);
      }
      assert.ok(gone, 'session garbage-collected within 6 s');
      const collectedAfter = Date.now() - droppedAt;
      t.diagnostic(`session collected ${collectedAfter} ms after the drop`);
      assert.ok(collectedAfter >= 900, `not collected before one full GC period (${collectedAfter} ms)`);
      const desc = await raw.call('describe', { object: pipeline.id });
      assert.equal(desc.error && desc.error.code, 40101, 'the pipeline went with the session');
      const descPt = await raw.call('describe', { object: pt.id });
      assert.equal(descPt.error && descPt.error.code, 40101);
      const pipelines = (await raw.call('invoke', { object: 'manager_ServerManager', operation: 'getPipelines' })).result.value;
      assert.ok(!pipelines.includes(pipeline.id));
      assert.ok(pipelines.includes(shared.id), 'a pipeline another session references survives');
      await sleep(Math.max(0, 3000 - (Date.now() - droppedAt))); // keep refusing ~3 s in total

      assert.ok(proxy.held.length >= 1, 'the client is trying to reconnect');
      proxy.release();
      const same = await withTimeout(reconnected, 8000, "'reconnected' event");
      assert.equal(same, false);

      const reqs = proxy.requests(1);
      const connectReq = reqs.find((r) => r.method === 'connect');
      assert.deepEqual(connectReq.params, { sessionId });
      const ans = proxy.answer(connectReq.id, 1);
      assert.equal(ans.result, undefined);
      assert.equal(ans.error.code, 40007);
      assert.equal(ans.error.message, 'Invalid session');
      assert.deepEqual(ans.error.data, { type: 'INVALID_SESSION' });
      assert.ok(consoleSince().some((c) => c.text === 'Invalid Session'), 'client logged "Invalid Session"');

      // The old objects are gone; the client keeps working (and, as observed
      // with KMS, keeps sending its old sessionId, which the server reuses).
      const [err] = await cbResult((done) => pipeline.getName(done));
      assertKurentoError(err, ReferenceError, 40101, 'MEDIA_OBJECT_NOT_FOUND');
      const [p2] = await cbObj((done) => client.create('MediaPipeline', done));
      const createReq = proxy.requests(1).find((r) => r.method === 'create');
      assert.equal(createReq.params.sessionId, sessionId, 'client quirk: old sessionId is still sent');
      assert.equal(proxy.answer(createReq.id, 1).result.sessionId, sessionId);
      const [pt2] = await cbObj((done) => p2.create('PassThrough', done));
      const [pt3] = await cbObj((done) => p2.create('PassThrough', done));
      const events = collect(pt2, 'ElementConnected');
      await cbOk((done) => pt2.connect(pt3, 'AUDIO', done));
      await waitUntil(() => events.length >= 1, 'events after a lost session');
      await cbOk((done) => p2.release(done));
    } finally {
      raw.close();
    }
  });
});

// ---------------------------------------------------------------------------
// 9. Bad input keeps the connection

test('malformed frames get JSON-RPC errors with id null and the connection keeps working', { skip }, async (t) => {
  await withEnv(t, {}, async ({ proxy, connect }) => {
    const client = await connect();
    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));

    const lastAnswer = () => proxy.frames.filter((f) => f.dir === 's2c').at(-1);
    const injectAndWait = async (text) => {
      const n = proxy.frames.filter((f) => f.dir === 's2c').length;
      proxy.inject(text);
      await waitUntil(() => proxy.frames.filter((f) => f.dir === 's2c').length > n, `answer to ${text}`);
      return lastAnswer();
    };

    const parse = await injectAndWait('{"jsonrpc":"2.0","method":"invoke","params":{');
    assert.equal(parse.conn, 0);
    assert.deepEqual(parse.msg.error && parse.msg.error.code, -32700);
    assert.ok(Object.hasOwn(parse.msg, 'id') && parse.msg.id === null, `id null in ${parse.text}`);
    assert.equal(parse.msg.jsonrpc, '2.0');
    assert.equal(parse.msg.result, undefined);

    const batch = await injectAndWait('[{"jsonrpc":"2.0","method":"ping","id":77}]');
    assert.equal(batch.msg.error.code, -32600);
    assert.equal(batch.msg.id, null);

    const noVersion = await injectAndWait('{"method":"ping","id":78}');
    assert.equal(noVersion.msg.error.code, -32600);

    const unknown = await injectAndWait('{"jsonrpc":"2.0","method":"teleport","params":{},"id":"x-79"}');
    assert.equal(unknown.msg.error.code, -32601);
    assert.equal(unknown.msg.id, 'x-79', 'string ids are echoed verbatim');

    // A sessionless request on a bound connection gets the bound session
    // (KMS injects it; a real KMS answers ping with the sessionId then).
    const ping = await injectAndWait('{"jsonrpc":"2.0","method":"ping","id":"p-80"}');
    assert.deepEqual(ping.msg, { id: 'p-80', jsonrpc: '2.0', result: { value: 'pong', sessionId: sessionOf(client) } });

    // The client ignored all of that and keeps working on the same socket.
    assert.equal(proxy.conns.length, 1);
    assert.equal(proxy.openConns().length, 1);
    assert.equal(await cbOk((done) => pipeline.getName(done)), pipeline.id);
    const [pt] = await cbObj((done) => pipeline.create('PassThrough', done));
    const [pt2] = await cbObj((done) => pipeline.create('PassThrough', done));
    const events = collect(pt, 'ElementConnected');
    await cbOk((done) => pt.connect(pt2, done));
    await waitUntil(() => events.length >= 3, 'events after bad input');
    await cbOk((done) => pipeline.release(done));
  });
});
