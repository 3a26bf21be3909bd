// RtpEndpoint with the real npm kurento-client@7.3.0 against the gorento
// binary: the Kurento rtp-receiver tutorial's sequence. A WebRtcEndpoint
// (the test peer, internal/testpeer/cmd/testpeer, plays the browser) and an
// RtpEndpoint with SDES crypto; rtpEp.connect(webRtc); rtpEp.processOffer
// of the sender's SDP (c=0.0.0.0, its own a=crypto key); gst-launch-1.0
// then sends SRTP VP8 to the ports of the answer and the browser receives
// it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import {
  prerequisites, LOOPBACK_CONFIG as CONFIG, negotiate, makeWebM, kurentoClient, waitUntil, cbOk, cbObj, collect, withEnv,
} from './helpers.mjs';

const skip = prerequisites({ peer: true, tools: ['gst-launch-1.0', 'ffmpeg'] });

test('rtp-receiver tutorial: SRTP from gst-launch-1.0 through an RtpEndpoint to a browser', { skip }, async (t) => {
  await withEnv(t, { config: CONFIG, timeout: 60000 }, async ({ connect, startPeer }) => {
    const client = await connect();
    const peer = startPeer();
    const errors = [];
    const onError = (error) => { if (error) errors.push(error); };
    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));

    const serverKey = crypto.randomBytes(30);
    const senderKey = crypto.randomBytes(30);
    const SDES = kurentoClient.getComplexType('SDES');
    const [rtpEp] = await cbObj((done) => pipeline.create('RtpEndpoint',
      { crypto: SDES({ keyBase64: serverKey.toString('base64'), crypto: 'AES_128_CM_HMAC_SHA1_80' }) }, done));
    assert.match(rtpEp.id, /_kurento\.RtpEndpoint$/);
    const [webRtc] = await cbObj((done) => pipeline.create('WebRtcEndpoint', done));
    const states = collect(rtpEp, 'ConnectionStateChanged');
    const sessions = collect(rtpEp, 'MediaSessionStarted');
    const flowsOut = collect(rtpEp, 'MediaFlowOutStateChanged');

    // The browser side, as the tutorial's WebRtcPeer.
    await cbOk((done) => rtpEp.connect(webRtc, done));
    await negotiate(peer, webRtc, onError);

    // The sender's SDP, as the tutorial builds it: comedia (0.0.0.0), SRTP.
    const cryptoLine = `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${senderKey.toString('base64')}\r\n`;
    const senderSdp = 'v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=Kurento Tutorial - RTP Receiver\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n'
      + 'm=video 5004 RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\na=sendonly\r\na=direction:active\r\na=ssrc:445566 cname:user@example.com\r\n' + cryptoLine;
    const rtpAnswer = await cbOk((done) => rtpEp.processOffer(senderSdp, done));
    const port = Number(/m=video (\d+) RTP\/SAVPF 96/.exec(rtpAnswer)?.[1]);
    assert.ok(port > 0, `answer with a video port:\n${rtpAnswer}`);
    assert.match(rtpAnswer, /a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:/);
    assert.ok(rtpAnswer.includes(serverKey.toString('base64')), 'the answer carries the key given in SDES');
    assert.equal(await cbOk((done) => rtpEp.getRemoteSessionDescriptor(done)), senderSdp);
    assert.equal(await cbOk((done) => rtpEp.getConnectionState(done)), 'CONNECTED');
    await waitUntil(() => states.length > 0 && sessions.length > 0, 'ConnectionStateChanged and MediaSessionStarted', 5000);
    assert.equal(states[0].newState, 'CONNECTED');

    // The tutorial's gst-launch-1.0 sender (SRTP with the sender's key).
    const gst = spawn('gst-launch-1.0', ['-q', 'videotestsrc', 'is-live=true', 'num-buffers=200', '!', 'video/x-raw,width=320,height=240,framerate=30/1',
      '!', 'vp8enc', 'deadline=1', 'keyframe-max-dist=15', '!', 'rtpvp8pay', 'pt=96', 'ssrc=445566', '!',
      'srtpenc', `key=${senderKey.toString('hex')}`, 'rtp-cipher=aes-128-icm', 'rtp-auth=hmac-sha1-80', 'rtcp-cipher=aes-128-icm', 'rtcp-auth=hmac-sha1-80',
      '!', 'udpsink', 'host=127.0.0.1', `port=${port}`], { stdio: 'ignore' });
    const exited = new Promise((resolve) => gst.on('exit', resolve));
    try {
      await waitUntil(async () => (await peer.report()).received.video.packets > 60, 'VP8 at the browser', 20000);
      await waitUntil(() => flowsOut.some((e) => e.mediaType === 'VIDEO' && e.state === 'FLOWING'), 'MediaFlowOutStateChanged FLOWING', 5000);
    } finally {
      gst.kill('SIGKILL');
      await exited;
    }
    const report = await peer.report();
    assert.equal(report.received.video.ssrc > 0, true);
    assert.deepEqual(errors, []);
    await cbOk((done) => pipeline.release(done));
  });
});

/** Resolves once a process of this network namespace has bound UDP port (/proc/net/udp). */
async function udpBound(port) {
  const local = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const bound = () => fs.readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)
    .some((line) => (line.trim().split(/\s+/)[1] || '').endsWith(local));
  await waitUntil(bound, `UDP port ${port} bound`, 20000);
}

/** A free UDP port on 127.0.0.1. */
async function freePort() {
  const sock = dgram.createSocket('udp4');
  await new Promise((resolve) => sock.bind(0, '127.0.0.1', resolve));
  const { port } = sock.address();
  await new Promise((resolve) => sock.close(resolve));
  return port;
}

test('the reverse: a browser through an RtpEndpoint (generateOffer, processAnswer) to gst-launch-1.0, decoded', { skip }, async (t) => {
  await withEnv(t, { config: CONFIG, timeout: 60000 }, async ({ server, connect, startPeer }) => {
    const media = makeWebM(path.join(server.dir, 'camera.webm'), { video: 'color=c=red', gop: 15 });
    const client = await connect();
    const peer = startPeer();
    const errors = [];
    const onError = (error) => { if (error) errors.push(error); };
    const [pipeline] = await cbObj((done) => client.create('MediaPipeline', done));
    const [webRtc] = await cbObj((done) => pipeline.create('WebRtcEndpoint', done));
    const [rtpEp] = await cbObj((done) => pipeline.create('RtpEndpoint', done));
    await cbOk((done) => webRtc.connect(rtpEp, done));
    await negotiate(peer, webRtc, onError);
    peer.send({ startFile: media });

    const rtpOffer = await cbOk((done) => rtpEp.generateOffer(done));
    assert.match(rtpOffer, /m=video \d+ RTP\/AVP 96/);
    const port = await freePort();
    const out = path.join(server.dir, 'out.rgb');
    const gst = spawn('gst-launch-1.0', ['-q', 'udpsrc', 'address=127.0.0.1', `port=${port}`,
      'caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96', '!', 'rtpjitterbuffer', 'latency=100', '!',
      'rtpvp8depay', 'wait-for-keyframe=true', '!', 'vp8dec', '!', 'videoconvert', '!', 'video/x-raw,format=RGB,width=320,height=240', '!',
      'identity', 'eos-after=20', '!', 'filesink', `location=${out}`], { stdio: 'ignore' });
    const exited = new Promise((resolve) => gst.on('exit', resolve));
    try {
      await udpBound(port); // gst-launch-1.0 started (slowly on a loaded machine)
      const rtpAnswer = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=gst\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n'
        + 'm=audio 0 RTP/AVP 111\r\n'
        + `m=video ${port} RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\na=recvonly\r\n`;
      assert.equal(await cbOk((done) => rtpEp.processAnswer(rtpAnswer, done)), rtpOffer);
      const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), 30000))]);
      assert.equal(code, 0, 'gst-launch-1.0 decoded 20 frames and ended');
    } finally {
      gst.kill('SIGKILL');
      await exited;
    }
    const frames = fs.statSync(out).size / (320 * 240 * 3);
    assert.ok(frames >= 19, `${frames} frames decoded`);
    const last = fs.readFileSync(out).subarray(-320 * 240 * 3);
    let red = 0;
    for (let i = 0; i < last.length; i += 3) if (last[i] > 180 && last[i + 1] < 80 && last[i + 2] < 80) red++;
    assert.ok(red / (320 * 240) > 0.9, `${Math.round(100 * red / (320 * 240))}% red pixels`);
    assert.deepEqual(errors, []);
    await cbOk((done) => pipeline.release(done));
  });
});
