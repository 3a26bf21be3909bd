// Conformance test of the filter classes with the real npm kurento-client@7.3.0
// against the gorento binary (its gorento-worker next to it): the magic-mirror
// tutorial's call sequence and each filter class's constructor, methods and
// errors. Media through filters is checked by the Go tests
// (internal/kms/filter_media_test.go) and the browser E2E.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CI, missing, cbResult, cbOk, cbObj, collect, withEnv } from './helpers.mjs';

// ImageOverlayFilter.addImage through the npm client sends its first argument
// as operationParams (seen with kurento-client 7.3.0, not understood yet): its
// methods are covered by the Go tests.

test('prerequisites: GORENTO_BIN and js/node_modules', (t) => {
  if (!missing) return;
  if (CI) assert.fail(`${missing} (CI=true: a missing prerequisite is a failure)`);
  t.skip(missing);
});

const skip = missing ? missing : false;
const hat = 'file:///nonexistent-dir/hat.png';

test('magic mirror sequence: WebRtcEndpoint → FaceOverlayFilter → WebRtcEndpoint, setOverlayedImage errors carry the reason', { skip }, async (t) => {
  await withEnv(t, { timeout: 40000 }, async ({ connect }) => {
    const client = await connect();
    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));
    const [webRtc] = await cbObj((done) => pipeline.create('WebRtcEndpoint', done));
    const [filter] = await cbObj((done) => pipeline.create('FaceOverlayFilter', done));
    assert.match(filter.id, /_kurento\.FaceOverlayFilter$/);
    await cbOk((done) => webRtc.connect(filter, done));
    await cbOk((done) => filter.connect(webRtc, done));
    const sources = await cbOk((done) => webRtc.getSourceConnections(done));
    assert.ok(sources.some((c) => c.source === filter.id && c.type === 'VIDEO'), 'the endpoint is fed by the filter');
    const [err] = await cbResult((done) => filter.setOverlayedImage(hat, -0.35, -1.2, 1.6, 1.6, done));
    assert.ok(err, 'an unreadable image is an error');
    assert.match(err.message, /nonexistent-dir/);
    await cbOk((done) => filter.unsetOverlayedImage(done));
    await cbOk((done) => filter.setMaxEncoderBitrate(800000, done));
    assert.equal(await cbOk((done) => filter.getMaxEncoderBitrate(done)), 800000);
    await cbOk((done) => pipeline.release(done));
  });
});

test('GStreamerFilter: command, filterType, setElementProperty; invalid and denied commands are refused with the reason', { skip }, async (t) => {
  await withEnv(t, { timeout: 40000 }, async ({ connect }) => {
    const client = await connect();
    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));
    const [filter] = await cbObj((done) => pipeline.create('GStreamerFilter', { command: 'videobalance saturation=0.0', filterType: 'VIDEO' }, done));
    assert.equal(await cbOk((done) => filter.getCommand(done)), 'videobalance saturation=0.0');
    await cbOk((done) => filter.setElementProperty('saturation', '0.5', done));
    let [err] = await cbResult((done) => filter.setElementProperty('nope', '1', done));
    assert.equal(err && err.code, 40001);
    assert.match(err.message, /nope/);
    [err] = await cbResult((done) => pipeline.create('GStreamerFilter', { command: 'videobalance ! nosuchelement' }, done));
    assert.equal(err && err.code, 40001);
    assert.match(err.message, /nosuchelement/);
    [err] = await cbResult((done) => pipeline.create('GStreamerFilter', { command: 'filesink location=/tmp/gorento-denied' }, done));
    assert.equal(err && err.code, 40001);
    assert.match(err.message, /filesink/);
    const [audio] = await cbObj((done) => pipeline.create('GStreamerFilter', { command: 'volume volume=0.5', filterType: 'AUDIO' }, done));
    assert.equal(await cbOk((done) => audio.getCommand(done)), 'volume volume=0.5');
    await cbOk((done) => pipeline.release(done));
  });
});

test('ImageOverlayFilter, ZBarFilter (CodeFound subscription), getInfo lists the chroma module', { skip }, async (t) => {
  await withEnv(t, { timeout: 40000 }, async ({ connect }) => {
    const client = await connect();
    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));
    const [overlay] = await cbObj((done) => pipeline.create('ImageOverlayFilter', done));
    assert.match(overlay.id, /_kurento\.ImageOverlayFilter$/);
    const [zbar] = await cbObj((done) => pipeline.create('ZBarFilter', done));
    collect(zbar, 'CodeFound'); // subscribing to the class's event is accepted
    const manager = await cbObj((done) => client.getServerManager(done));
    const info = await cbOk((done) => manager[0].getInfo(done));
    const names = info.modules.map((m) => m.name);
    assert.ok(names.includes('chroma'), `modules ${names}`);
    assert.deepEqual(info.modules.find((m) => m.name === 'chroma').factories, ['ChromaFilter']);
    assert.ok(info.modules.find((m) => m.name === 'filters').factories.includes('FaceOverlayFilter'));
    await cbOk((done) => pipeline.release(done));
  });
});
