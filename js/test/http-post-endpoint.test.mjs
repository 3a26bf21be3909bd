// HttpPostEndpoint with the real npm kurento-client@7.3.0 against the
// gorento binary: a WebM file made here with ffmpeg is POSTed to getUrl();
// a Pion peer (internal/testpeer/cmd/testpeer) behind a WebRtcEndpoint
// receives it; MediaSessionStarted and EndOfStream arrive.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  CI, missing, missingPeer, waitUntil, cbOk, cbObj, collect, withEnv, kurentoClient,
} from './helpers.mjs';

let missingTools = null;
try { execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' }); } catch { missingTools = 'ffmpeg not found (scripts/ensure-deps.sh installs it)'; }
const missingAny = missing || missingPeer || missingTools;

test('prerequisites: GORENTO_BIN, TESTPEER_BIN, ffmpeg and js/node_modules', (t) => {
  if (!missingAny) return;
  if (CI) assert.fail(`${missingAny} (CI=true: a missing prerequisite is a failure)`);
  t.skip(missingAny);
});

const skip = missingAny ? missingAny : false;
const CONFIG = {
  webrtc: { loopbackOnly: true }, kurento: { listen: '127.0.0.1:0', secureListen: '' }, web: { listen: '' },
  httpEndpoint: { listen: '127.0.0.1:0' },
};

test('HttpPostEndpoint: a WebM upload to getUrl() plays to a WebRTC viewer until EndOfStream', { skip }, async (t) => {
  await withEnv(t, { config: CONFIG, timeout: 60000 }, async ({ server, connect, startPeer }) => {
    const media = path.join(server.dir, 'upload.webm');
    execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30:duration=3',
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=3', '-c:v', 'libvpx', '-b:v', '300k', '-deadline', 'realtime',
      '-cpu-used', '8', '-g', '30', '-c:a', 'libopus', '-ac', '2', media]);
    const client = await connect();
    const viewer = startPeer();
    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));
    const [webRtc] = await cbObj((done) => pipeline.create('WebRtcEndpoint', done));
    const [post] = await cbObj((done) => pipeline.create('HttpPostEndpoint', { disconnectionTimeout: 2 }, done));
    assert.match(post.id, /_kurento\.HttpPostEndpoint$/);
    const ends = collect(post, 'EndOfStream');
    const sessions = collect(post, 'MediaSessionStarted');
    const errors = collect(post, 'Error');
    const { offer } = await viewer.waitFor((m) => m.offer, 'SDP offer');
    viewer.each((m) => {
      if (m.candidate) webRtc.addIceCandidate(kurentoClient.getComplexType('IceCandidate')(m.candidate), () => {});
    });
    webRtc.on('IceCandidateFound', (event) => viewer.addIceCandidate(event.candidate));
    const answer = await cbOk((done) => webRtc.processOffer(offer, done));
    await cbOk((done) => webRtc.gatherCandidates(done));
    viewer.processAnswer(answer);
    await viewer.waitFor((m) => m.connected, 'ICE and DTLS', 15000);
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
