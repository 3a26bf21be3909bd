// Hub conformance with the real, unmodified npm kurento-client@7.3.0: the
// Kurento group-call (MCU) sequence on a Composite — pipeline, Composite,
// one WebRtcEndpoint and one HubPort per participant connected both ways —
// with Go Pion peers (internal/testpeer/cmd/testpeer) playing the browsers,
// then every other hub class's operations as the client sends them.
// Media itself (pictures, tones) is checked by the Go tests
// (internal/kms/hubs_test.go); here the composite's output must flow to
// each participant and their media into it.
//
//   go build -o .build/gorento ./cmd/gorento && CGO_ENABLED=1 go build -o .build/gorento-worker ./cmd/gorento-worker
//   go build -o .build/testpeer ./internal/testpeer/cmd/testpeer
//   GORENTO_BIN=$PWD/.build/gorento TESTPEER_BIN=$PWD/.build/testpeer scripts/netns-run.sh node --test js/test/hubs.test.mjs
//
// gorento finds gorento-worker next to its binary (.build/).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  prerequisites, LOOPBACK_CONFIG as CONFIG, kurentoClient, waitUntil, cbResult, cbObj, cbOk, withEnv, assertKurentoError,
} from './helpers.mjs';

// Media objects are thenables: calls that yield one go through cbObj
// (helpers.mjs), as the tutorials' callbacks do.
const obj = async (fn) => (await cbObj(fn))[0];


const skip = prerequisites({ peer: true });

/** One participant of the group call: its browser (test peer), endpoint and port. */
async function join(pipeline, composite, peer) {
  const { offer } = await peer.waitFor((m) => m.offer, 'SDP offer');
  peer.each((m) => { if (m.connected) peer.send({ start: true }); });
  const ep = await obj((done) => pipeline.create('WebRtcEndpoint', done));
  const port = await obj((done) => composite.createHubPort(done));
  peer.each((m) => {
    if (m.candidate) ep.addIceCandidate(kurentoClient.getComplexType('IceCandidate')(m.candidate));
  });
  ep.on('IceCandidateFound', (event) => peer.addIceCandidate(event.candidate));
  const connected = [];
  port.on('ElementConnected', (e) => connected.push(e));
  await cbOk((done) => ep.connect(port, done));
  await cbOk((done) => port.connect(ep, done));
  const answer = await cbOk((done) => ep.processOffer(offer, done));
  peer.processAnswer(answer);
  await cbOk((done) => ep.gatherCandidates(done));
  await peer.waitFor((m) => m.connected, 'ICE and DTLS', 10000);
  return { peer, ep, port, connected };
}

test('group call on a Composite: every participant sends into the mix and receives it; ports and hub release', { skip }, async (t) => {
  await withEnv(t, { config: CONFIG, timeout: 40000 }, async ({ connect, startPeer }) => {
    const client = await connect();
    const pipeline = await obj((done) => client.create('MediaPipeline', done));
    const composite = await obj((done) => pipeline.create('Composite', done));
    assert.equal((await obj((done) => composite.getMediaPipeline(done))).id, pipeline.id);

    const a = await join(pipeline, composite, startPeer());
    const b = await join(pipeline, composite, startPeer());
    for (const p of [a, b]) {
      // (A port made by createHubPort cannot answer getParent in kurento-client
      // 7.3.0: the client gives it no '_describe' handler. The ids tell.)
      assert.ok(p.port.id.startsWith(composite.id + '/'), `port id ${p.port.id} nests under the hub's`);
      await waitUntil(() => p.connected.length === 3, 'ElementConnected for audio, video and data');
    }
    const children = (await cbOk((done) => composite.getChildren(done))).map((c) => c.id).sort();
    assert.deepEqual(children, [a.port.id, b.port.id].sort());

    // Media flows into each port and the composite sends each one its mix.
    for (const [name, p] of Object.entries({ a, b })) {
      const flowing = async (op, type) => cbOk((done) => p.port[op](type, done));
      await waitUntil(async () => (await flowing('isMediaFlowingIn', 'AUDIO')) && (await flowing('isMediaFlowingIn', 'VIDEO')),
        `${name}'s media reaching its port`, 10000);
      await waitUntil(async () => (await flowing('isMediaFlowingOut', 'VIDEO')) && (await flowing('isMediaFlowingOut', 'AUDIO')),
        `the composite's picture and mix leaving ${name}'s port`, 15000);
      await waitUntil(async () => {
        const r = (await p.peer.report()).received;
        return r.video.packets > 10 && r.audio.packets > 10;
      }, `${name} receiving the picture and the mix`, 10000);
    }
    assert.ok((await cbOk((done) => composite.getGstreamerDot(done))).includes(a.port.id), 'the hub\'s DOT shows its ports');

    // A port leaves; the other keeps receiving.
    await cbOk((done) => a.port.release(done));
    assert.deepEqual((await cbOk((done) => composite.getChildren(done))).map((c) => c.id), [b.port.id]);
    const before = (await b.peer.report()).received.video.packets;
    await waitUntil(async () => (await b.peer.report()).received.video.packets > before + 10, 'b still receiving', 5000);

    // Releasing the hub releases its ports.
    await cbOk((done) => composite.release(done));
    const [err] = await cbResult((done) => b.port.getName(done));
    assertKurentoError(err, Error, 40101, 'MEDIA_OBJECT_NOT_FOUND');
    await cbOk((done) => pipeline.release(done));
  });
});

test('Dispatcher, DispatcherOneToMany, AlphaBlending and Mixer operations as the client sends them', { skip }, async (t) => {
  await withEnv(t, { config: CONFIG, timeout: 20000 }, async ({ connect }) => {
    const client = await connect();
    const pipeline = await obj((done) => client.create('MediaPipeline', done));
    const hub = async (type) => {
      const h = await obj((done) => pipeline.create(type, done));
      return [h, await obj((done) => h.createHubPort(done)), await obj((done) => h.createHubPort(done))];
    };

    const [dispatcher, d1, d2] = await hub('Dispatcher');
    await cbOk((done) => dispatcher.connect(d1, d2, done));

    const [one2many, o1, o2] = await hub('DispatcherOneToMany');
    await cbOk((done) => one2many.setSource(o1, done));
    await cbOk((done) => one2many.removeSource(done));
    await cbOk((done) => one2many.setSource(o2, done));

    const [alpha, a1, a2] = await hub('AlphaBlending');
    await cbOk((done) => alpha.setMaster(a1, 1, done));
    await cbOk((done) => alpha.setPortProperties(0.5, 0.5, 2, 0.25, 0.25, a2, done));

    const [mixer, m1, m2] = await hub('Mixer');
    await cbOk((done) => mixer.connect('AUDIO', m1, m2, done));
    await cbOk((done) => mixer.connect('VIDEO', m1, m2, done));
    await cbOk((done) => mixer.disconnect('AUDIO', m1, m2, done));
    const [videoErr] = await cbResult((done) => mixer.disconnect('VIDEO', m1, m2, done));
    assertKurentoError(videoErr, Error, 40005, 'UNSUPPORTED_MEDIA_TYPE');

    // A port of another hub is refused.
    const [wrong] = await cbResult((done) => dispatcher.connect(d1, o1, done));
    assertKurentoError(wrong, Error, 40107, 'MEDIA_OBJECT_ILLEGAL_PARAM_ERROR');

    // The promise API resolves copies of media objects that the client
    // sends whole, not as ids: gorento takes them too.
    const copy = await one2many.createHubPort();
    await one2many.setSource(copy);

    for (const h of [dispatcher, one2many, alpha, mixer]) {
      assert.ok((await cbOk((done) => h.getChildren(done))).length >= 2);
    }
    await cbOk((done) => pipeline.release(done));
  });
});
