// RecorderEndpoint and PlayerEndpoint with the real npm kurento-client@7.3.0
// against the gorento binary: the Kurento recorder tutorial's call sequence
// (WebRtcEndpoint → itself and a RecorderEndpoint, record, stop; then
// WebRtcEndpoint ← PlayerEndpoint, play, EndOfStream), with a Pion peer
// (internal/testpeer/cmd/testpeer) playing the browser and sending a real
// VP8+Opus file made here with ffmpeg. The recording is checked with ffprobe.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  prerequisites, LOOPBACK_CONFIG as CONFIG, negotiate, makeWebM, sleep, waitUntil, cbResult, cbOk, cbObj, collect, withEnv,
} from './helpers.mjs';

const skip = prerequisites({ peer: true, tools: ['ffmpeg', 'ffprobe'] });

function probe(file) {
  const out = execFileSync('ffprobe', ['-v', 'error', '-of', 'json', '-show_streams', '-show_format', file]);
  return JSON.parse(out);
}

test('recorder tutorial: record a peer\'s camera to WebM, stop, play it back until EndOfStream', { skip }, async (t) => {
  await withEnv(t, { config: CONFIG, timeout: 60000 }, async ({ server, connect, startPeer }) => {
    const media = makeWebM(path.join(server.dir, 'camera.webm'), { seconds: 4 });
    const file = path.join(server.dir, 'recordings', 'recorder_demo.webm');
    const fileUri = 'file://' + file;
    const errors = [];
    const onError = (error) => { if (error) errors.push(error); };
    const client = await connect();

    // --- recording (the tutorial's start()) ----------------------------------
    const peer = startPeer();
    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));
    const [elements] = await cbObj((done) => pipeline.create([{ type: 'WebRtcEndpoint', params: {} },
      { type: 'RecorderEndpoint', params: { uri: fileUri } }], done));
    const [webRtc, recorder] = elements;
    assert.match(recorder.id, /_kurento\.RecorderEndpoint$/);
    const recEvents = [];
    for (const name of ['Recording', 'Paused', 'Stopped', 'UriEndpointStateChanged']) recorder.on(name, (e) => recEvents.push(name + (e.state ? ':' + e.state : '')));
    const recErrors = collect(recorder, 'Error');
    await negotiate(peer, webRtc, onError);
    // The tutorial calls client.connect(webRtc, webRtc, recorder): with
    // kurento-client 7.3 that never sends its second connect, whatever the
    // server (its disguise() copies getters that all read the loop's last
    // key, so the chained element has no id). Its two connects, one by one:
    await cbOk((done) => webRtc.connect(webRtc, done));
    await cbOk((done) => webRtc.connect(recorder, done));
    await cbOk((done) => recorder.record(done));
    await waitUntil(() => recEvents.includes('Recording'), 'Recording', 10000);
    assert.equal(await cbOk((done) => recorder.getState(done)), 'START');
    assert.equal(await cbOk((done) => recorder.getUri(done)), fileUri);
    peer.send({ startFile: media });
    const started = Date.now();
    await sleep(3500);
    // the tutorial's stop(): recorder.stop(), pipeline.release()
    await cbOk((done) => recorder.stopAndWait(done));
    const recorded = (Date.now() - started) / 1000;
    await waitUntil(() => recEvents.includes('Stopped'), 'Stopped', 10000);
    assert.deepEqual(recEvents, ['UriEndpointStateChanged:START', 'Recording', 'UriEndpointStateChanged:STOP', 'Stopped']);
    assert.deepEqual(recErrors, []);
    await cbOk((done) => pipeline.release(done));
    await peer.close();

    const p = probe(file);
    const codecs = p.streams.map((s) => s.codec_name).sort();
    assert.deepEqual(codecs, ['opus', 'vp8']);
    const duration = Number(p.format.duration);
    assert.ok(Math.abs(duration - recorded) < 1, `recorded ${duration} s, media was sent for ${recorded} s`);

    // --- playing back (the tutorial's play()) --------------------------------
    const viewer = startPeer();
    const [pipeline2] = await cbObj((done) => client.create('MediaPipeline', done));
    const [webRtc2] = await cbObj((done) => pipeline2.create('WebRtcEndpoint', done));
    await negotiate(viewer, webRtc2, onError);
    const [player] = await cbObj((done) => pipeline2.create('PlayerEndpoint', { uri: fileUri }, done));
    const ends = collect(player, 'EndOfStream');
    const playErrors = collect(player, 'Error');
    await cbOk((done) => player.connect(webRtc2, done));
    await cbOk((done) => player.play(done));
    const info = await cbOk((done) => player.getVideoInfo(done));
    assert.equal(info.isSeekable, true);
    assert.ok(Math.abs(info.duration - duration * 1000) < 200, `videoInfo.duration ${info.duration} ms`);
    await waitUntil(() => ends.length > 0, 'EndOfStream', 20000);
    await sleep(300);
    assert.equal(ends.length, 1, 'one EndOfStream');
    assert.deepEqual(playErrors, []);
    assert.equal(await cbOk((done) => player.getState(done)), 'STOP');
    const report = await viewer.report();
    assert.ok(report.received.video.packets > 60 && report.received.audio.packets > 100,
      `the viewer received the recording: ${JSON.stringify(report.received)}`);
    await cbOk((done) => pipeline2.release(done));
    assert.deepEqual(errors, []);
  });
});

test('RecorderEndpoint and PlayerEndpoint errors: profiles, unwritable paths, unreadable URIs, seeks', { skip }, async (t) => {
  await withEnv(t, { config: CONFIG, timeout: 30000 }, async ({ server, connect }) => {
    const client = await connect();
    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));
    let [err] = await cbResult((done) => pipeline.create('RecorderEndpoint', { uri: 'file:///tmp/x.ksr', mediaProfile: 'KURENTO_SPLIT_RECORDER' }, done));
    assert.equal(err && err.code, 40107);
    assert.match(err.message, /Kurento Split Recorder not supported/);
    fs.writeFileSync(path.join(server.dir, 'afile'), '');
    const [recorder] = await cbObj((done) => pipeline.create('RecorderEndpoint', { uri: 'file://' + path.join(server.dir, 'afile', 'x.webm') }, done));
    const recErrors = collect(recorder, 'Error');
    await cbOk((done) => recorder.record(done));
    await waitUntil(() => recErrors.length > 0, 'Error of an unwritable recording', 5000);
    assert.equal(recErrors[0].type, 'RESOURCE_ERROR_OPEN');
    const [player] = await cbObj((done) => pipeline.create('PlayerEndpoint', { uri: 'file:///nonexistent/video.webm' }, done));
    const playErrors = collect(player, 'Error');
    [err] = await cbResult((done) => player.setPosition(1000, done));
    assert.equal(err && err.code, 40700);
    await cbOk((done) => player.play(done));
    await waitUntil(() => playErrors.length > 0, 'Error of an unreadable URI', 5000);
    assert.equal(playErrors[0].type, 'INVALID_URI');
    assert.equal(playErrors[0].description, 'Invalid URI');
    await cbOk((done) => pipeline.release(done));
  });
});
