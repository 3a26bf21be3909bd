// Conformance test of the filter classes with the real npm kurento-client@7.3.0
// against the gorento binary (its gorento-worker next to it): the magic-mirror
// tutorial's call sequence and each filter class's constructor, methods and
// errors. Media through filters is checked by the Go tests
// (internal/kms/filter_media_test.go) and the browser E2E.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prerequisites, cbResult, cbOk, cbObj, collect, withEnv, rawClient } from './helpers.mjs';

const skip = prerequisites();
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
    // AUTODETECT (the default, as in KMS) finds that an audio element takes audio.
    const [audio] = await cbObj((done) => pipeline.create('GStreamerFilter', { command: 'volume volume=0.5' }, done));
    assert.equal(await cbOk((done) => audio.getCommand(done)), 'volume volume=0.5');
    await cbOk((done) => pipeline.release(done));
  });
});

// kurento-client 7.3.0 cannot send ImageOverlayFilter.addImage/removeImage
// whole: its serializeParams (lib/KurentoClient.js) replaces every value with
// an `id` member by that id once the request names an object, so the
// operationParams {id: 'logo', uri, …} go out as the bare string "logo".
// gorento reads a bare value as the `id` parameter: removeImage works;
// addImage, whose other parameters were lost, fails saying why. KMS fails
// both (jsoncpp cannot read a string as an object).
test('ImageOverlayFilter through kurento-client: removeImage works despite the client sending a bare id, addImage says what the client lost', { skip }, async (t) => {
  await withEnv(t, { timeout: 40000 }, async ({ connect, proxy, server }) => {
    const client = await connect();
    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));
    const [overlay] = await cbObj((done) => pipeline.create('ImageOverlayFilter', done));
    assert.match(overlay.id, /_kurento\.ImageOverlayFilter$/);
    const logo = `file://${path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/static/img/hat.png')}`;
    let [err] = await cbResult((done) => overlay.addImage('logo', logo, 0.1, 0.1, 0.2, 0.2, true, true, done));
    assert.equal(err && err.code, 40001);
    assert.match(err.message, /kurento-client/);
    assert.match(err.message, /'uri'/);
    assert.equal(proxy.invokes('addImage').at(-1).params.operationParams, 'logo', 'what kurento-client 7.3.0 puts on the wire');
    // The image added as other clients send it (whole operationParams)…
    const raw = await rawClient(server.url);
    t.after(() => raw.close());
    const added = await raw.call('invoke', { object: overlay.id, operation: 'addImage', operationParams: {
      id: 'logo', uri: logo, offsetXPercent: 0.1, offsetYPercent: 0.1, widthPercent: 0.2, heightPercent: 0.2, keepAspectRatio: true, center: true } });
    assert.equal(added.error, undefined, JSON.stringify(added.error));
    // …and removed through kurento-client; a second time it is gone.
    await cbOk((done) => overlay.removeImage('logo', done));
    assert.equal(proxy.invokes('removeImage').at(-1).params.operationParams, 'logo');
    [err] = await cbResult((done) => overlay.removeImage('logo', done));
    assert.equal(err && err.code, 40001);
    assert.match(err.message, /no image "logo"/);
    await cbOk((done) => pipeline.release(done));
  });
});

test('ZBarFilter (CodeFound subscription), getInfo lists the chroma module', { skip }, async (t) => {
  await withEnv(t, { timeout: 40000 }, async ({ connect }) => {
    const client = await connect();
    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));
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
