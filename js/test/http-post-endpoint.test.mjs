// HttpPostEndpoint with the real npm kurento-client@7.3.0 against the
// gorento binary: a WebM file made here with ffmpeg is POSTed to getUrl();
// a Pion peer (internal/testpeer/cmd/testpeer) behind a WebRtcEndpoint
// receives it; MediaSessionStarted and EndOfStream arrive.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  prerequisites, LOOPBACK_CONFIG, negotiate, makeWebM, waitUntil, cbOk, cbObj, collect, withEnv,
} from './helpers.mjs';

const skip = prerequisites({ peer: true, tools: ['ffmpeg'] });
const CONFIG = { ...LOOPBACK_CONFIG, httpEndpoint: { listen: '127.0.0.1:0' } };

test('HttpPostEndpoint: a WebM upload to getUrl() plays to a WebRTC viewer until EndOfStream', { skip }, async (t) => {
  await withEnv(t, { config: CONFIG, timeout: 60000 }, async ({ server, connect, startPeer }) => {
    const media = makeWebM(path.join(server.dir, 'upload.webm'));
    const client = await connect();
    const viewer = startPeer();
    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));
    const [webRtc] = await cbObj((done) => pipeline.create('WebRtcEndpoint', done));
    const [post] = await cbObj((done) => pipeline.create('HttpPostEndpoint', { disconnectionTimeout: 2 }, done));
    assert.match(post.id, /_kurento\.HttpPostEndpoint$/);
    const ends = collect(post, 'EndOfStream');
    const sessions = collect(post, 'MediaSessionStarted');
    const errors = collect(post, 'Error');
    await negotiate(viewer, webRtc);
    await cbOk((done) => post.connect(webRtc, done));
    const url = await cbOk((done) => post.getUrl(done));
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/gorento\/http-post\/[0-9a-f]{32}$/);
    const resp = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'video/webm' }, body: fs.readFileSync(media) });
    assert.equal(resp.status, 200);
    await waitUntil(() => ends.length > 0, 'EndOfStream', 20000);
    assert.equal(sessions.length, 1, 'one MediaSessionStarted');
    assert.deepEqual(errors, []);
    const report = await viewer.report();
    assert.ok(report.received.video.packets > 60 && report.received.audio.packets > 100,
      `the viewer received the upload: ${JSON.stringify(report.received)}`);
    const garbage = await fetch(url, { method: 'POST', body: 'not media at all' });
    assert.equal(garbage.status, 415);
    await cbOk((done) => pipeline.release(done));
    const gone = await fetch(url, { method: 'POST', body: 'x' });
    assert.equal(gone.status, 404);
  });
});
