// WebRtcEndpoint conformance: the Kurento "loopback-stats" and "hello-world"
// tutorials replayed call for call with the real, unmodified npm
// kurento-client@7.3.0 against gorento, through the recording proxy of
// helpers.mjs, with a Go Pion peer (internal/testpeer/cmd/testpeer) playing
// the browser and its kurento-utils WebRtcPeer.
//
//   cd /work/main && go build -o .build/gorento ./cmd/gorento && go build -o .build/testpeer ./internal/testpeer/cmd/testpeer
//   GORENTO_BIN=$PWD/.build/gorento TESTPEER_BIN=$PWD/.build/testpeer scripts/netns-run.sh node --test js/test/
//
// Everything stays on 127.0.0.1: gorento runs with webrtc.loopbackOnly and the
// peer only gathers loopback host candidates. Protocol facts (§x.y) are from
// shared/specs/kurento-protocol.md (§4 getStats, §5.1/§5.2 the tutorials'
// call order, §7.2 the observed frames).
//
// How the browser side is mapped onto the test peer:
// - WebRtcPeerSendrecv + generateOffer → the peer's {"offer"}.
// - kurento-utils queues the browser's ICE candidates until the app attaches
//   its 'icecandidate' listener, then flushes them synchronously. The test
//   waits for the peer's {"gatheringDone"} before starting the client, so all
//   candidates are queued (as with a fast browser) and the wire order is
//   deterministic; later ones would be relayed as they come.
// - webRtcPeer.processAnswer / addIceCandidate → {"answer"} / {"candidate"},
//   with kurento-utils' buffering of remote candidates until the answer is
//   applied (TestPeer#addIceCandidate explains why that matters).
// - The browser starts sending camera and microphone once connected → {"start"}
//   on the peer's {"connected"}.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  prerequisites, LOOPBACK_CONFIG as CONFIG, kurentoClient, sleep, waitUntil, cbResult, cbOk, cbObj, UUID, clientsCreated, sessionOf,
  withEnv,
} from './helpers.mjs';

const skip = prerequisites({ peer: true });

// The tutorial polls every second (three getStats('VIDEO') per tick).
const STATS_PERIOD = 1000;

// ---------------------------------------------------------------------------
// Helpers

/** One line per request: `ping`, `create MediaPipeline`, `invoke connect`, `subscribe X`, … */
const label = (r) => {
  switch (r.method) {
    case 'create': return `create ${r.params.type}`;
    case 'invoke': return `invoke ${r.params.operation}`;
    case 'subscribe': return `subscribe ${r.params.type}`;
    default: return r.method;
  }
};

/** SSRC of the first a=ssrc line of the audio / video section of an SDP. */
function sdpSsrcs(sdp) {
  const out = {};
  for (const section of sdp.split(/\r?\nm=/).slice(1)) {
    const kind = section.split(' ')[0];
    const m = /\r?\na=ssrc:(\d+) /.exec(section);
    if (m && !out[kind]) out[kind] = m[1];
  }
  return out;
}

const sdpMids = (sdp) => [...sdp.matchAll(/\r?\na=mid:(\S+)/g)].map((m) => m[1]);

/**
 * The tutorial's setIceCandidateCallbacks(webRtcPeer, webRtcEp, onError):
 * browser candidates → IceCandidate complex type → addIceCandidate; the
 * endpoint's IceCandidateFound → webRtcPeer.addIceCandidate.
 */
function setIceCandidateCallbacks(peer, webRtcEp, onError, found) {
  peer.each((m) => {
    if (!m.candidate) return;
    const candidate = kurentoClient.getComplexType('IceCandidate')(m.candidate);
    webRtcEp.addIceCandidate(candidate, onError);
  });
  webRtcEp.on('IceCandidateFound', (event) => {
    found.push(event);
    peer.addIceCandidate(event.candidate);
  });
}

/** The tutorial's getMediaElementStats filter: first entry of the wanted type. */
function pick(statsMap, statsType) {
  for (const key in statsMap) {
    if (!Object.prototype.hasOwnProperty.call(statsMap, key)) continue;
    if (statsMap[key].type === statsType) return statsMap[key];
  }
  return null;
}

const entries = (map, type) => Object.values(map || {}).filter((s) => s.type === type);

const RTP_COMMON = ['ssrc', 'associateStatsId', 'isRemote', 'mediaTrackId', 'transportId', 'codecId', 'firCount', 'pliCount',
  'nackCount', 'sliCount', 'remb', 'packetsLost', 'fractionLost'];
const INT_FIELDS = ['firCount', 'pliCount', 'nackCount', 'sliCount', 'remb', 'packetsLost'];

/** Checks one getStats answer has the KMS shape (§4.1, §4.2); returns it. */
function assertStatsShape(map, { endpointId, startedAt, what }) {
  assert.ok(map && typeof map === 'object' && !Array.isArray(map), `${what}: a map of stats, got ${JSON.stringify(map)}`);
  const now = Date.now();
  for (const [key, s] of Object.entries(map)) {
    const at = `${what} entry ${key}`;
    assert.equal(Object.getPrototypeOf(s), Object.prototype, `${at}: a plain object (the client does not deserialise stats)`);
    assert.equal(s.__module__, 'kurento', at);
    assert.equal(s.id, key, `${at}: id equals its key`);
    assert.ok(Number.isInteger(s.timestampMillis), `${at}: timestampMillis is a JSON number (${JSON.stringify(s.timestampMillis)})`);
    assert.ok(s.timestampMillis >= startedAt - 1000 && s.timestampMillis <= now + 1000, `${at}: timestampMillis ${s.timestampMillis} is ms since the epoch, now`);
    switch (s.type) {
      case 'inboundrtp':
      case 'outboundrtp': {
        const inbound = s.type === 'inboundrtp';
        assert.equal(s.__type__, inbound ? 'RTCInboundRTPStreamStats' : 'RTCOutboundRTPStreamStats', at);
        assert.match(key, UUID, `${at}: RTP stats are keyed by a UUID`);
        for (const f of RTP_COMMON) assert.ok(f in s, `${at}: has ${f}`);
        assert.equal(typeof s.ssrc, 'string', `${at}: ssrc is a string`);
        assert.match(s.ssrc, /^\d+$/, `${at}: ssrc is the decimal SSRC`);
        assert.ok(Number(s.ssrc) > 0 && Number(s.ssrc) < 2 ** 32, at);
        for (const f of ['associateStatsId', 'mediaTrackId', 'transportId', 'codecId']) assert.equal(s[f], '', `${at}: ${f}`);
        assert.equal(s.isRemote, false, `${at}: isRemote`);
        assert.equal(s.sliCount, 0, `${at}: sliCount`);
        for (const f of INT_FIELDS) assert.ok(Number.isInteger(s[f]) && s[f] >= 0, `${at}: ${f} = ${s[f]}`);
        assert.ok(typeof s.fractionLost === 'number' && s.fractionLost >= 0 && s.fractionLost <= 255, `${at}: fractionLost ${s.fractionLost} on the 0–255 scale`);
        if (inbound) {
          for (const f of ['packetsReceived', 'bytesReceived']) assert.ok(Number.isInteger(s[f]) && s[f] >= 0, `${at}: ${f} = ${s[f]}`);
          assert.ok(typeof s.jitter === 'number' && s.jitter >= 0 && s.jitter < 10, `${at}: jitter ${s.jitter} (seconds)`);
        } else {
          for (const f of ['packetsSent', 'bytesSent']) assert.ok(Number.isInteger(s[f]) && s[f] >= 0, `${at}: ${f} = ${s[f]}`);
          assert.ok(typeof s.targetBitrate === 'number' && s.targetBitrate >= 0, `${at}: targetBitrate ${s.targetBitrate}`);
          assert.ok(typeof s.roundTripTime === 'number' && s.roundTripTime >= 0 && s.roundTripTime < 10, `${at}: roundTripTime ${s.roundTripTime} (seconds)`);
        }
        break;
      }
      case 'endpoint':
        assert.equal(s.__type__, 'EndpointStats', at);
        assert.equal(key, endpointId, `${at}: the endpoint entry is keyed by the endpoint id`);
        for (const f of ['inputLatency', 'E2ELatency']) {
          assert.ok(Array.isArray(s[f]), `${at}: ${f} is a list`);
          for (const l of s[f]) {
            assert.equal(l.__module__, 'kurento', `${at}: ${f}`);
            assert.equal(l.__type__, 'MediaLatencyStat', `${at}: ${f}`);
            assert.equal(typeof l.name, 'string', `${at}: ${f} name`);
            assert.ok(['AUDIO', 'VIDEO'].includes(l.type), `${at}: ${f} type ${l.type}`);
            assert.ok(typeof l.avg === 'number' && l.avg >= 0, `${at}: ${f} avg ${l.avg}`);
          }
        }
        break;
      default:
        assert.fail(`${at}: unexpected stats type ${JSON.stringify(s.type)} (${s.__type__}) for a WebRtcEndpoint without data channels`);
    }
  }
  return map;
}

/** Asserts a new read is at least as far as an older one for the given counters. */
function assertMonotonic(older, newer, fields, what) {
  for (const f of fields) assert.ok(newer[f] >= older[f], `${what}: ${f} went back from ${older[f]} to ${newer[f]}`);
}

// ---------------------------------------------------------------------------
// 1. kurento-loopback-stats

test('loopback-stats tutorial: call order on the wire, media echoed, getStats while media flows, release', { skip }, async (t) => {
  assert.equal(clientsCreated, 0, 'this test must create the first KurentoClient of the process (the ping counter is a module global)');
  await withEnv(t, { config: CONFIG, timeout: 20000 }, async ({ proxy, connect, startPeer }) => {
    const startedAt = Date.now();

    // Browser: WebRtcPeerSendrecv → generateOffer; its candidates are queued.
    const peer = startPeer();
    const { offer } = await peer.waitFor((m) => m.offer, 'SDP offer');
    await peer.waitFor((m) => m.gatheringDone, 'ICE gathering of the peer');
    const peerCandidates = peer.messages.filter((m) => m.candidate).map((m) => m.candidate);
    assert.ok(peerCandidates.length >= 1, 'the peer gathered candidates');
    const offerSsrc = sdpSsrcs(offer);
    assert.ok(offerSsrc.audio && offerSsrc.video, `the offer announces its SSRCs: ${JSON.stringify(offerSsrc)}`);
    // The browser starts sending as soon as it is connected.
    peer.each((m) => { if (m.connected) peer.send({ start: true }); });

    // --- index.js, onOffer(), callbacks as in the tutorial -------------------
    const errors = [];
    const onError = (error) => { if (error) errors.push(error); };
    const found = [];
    const mediaStates = [];
    const statsTicks = []; // per tick: {at, maps: [3 VIDEO maps], inbound, outbound, endpoint}
    const state = { pipeline: null, webRtcEndpoint: null, answer: null, statsTimer: null, stopped: false, inFlight: 0 };

    const printStats = () => {
      const tick = { at: Date.now(), maps: [] };
      statsTicks.push(tick);
      for (const type of ['inboundrtp', 'outboundrtp', 'endpoint']) {
        state.inFlight++;
        // getMediaElementStats(webRtcEndpoint, type, 'VIDEO', cb)
        state.webRtcEndpoint.getStats('VIDEO', (error, statsMap) => {
          state.inFlight--;
          if (error) return onError(error);
          tick.maps.push(statsMap);
          tick[type === 'inboundrtp' ? 'inbound' : type === 'outboundrtp' ? 'outbound' : 'endpoint'] = pick(statsMap, type);
        });
      }
    };
    const activateStatsTimeout = () => {
      state.statsTimer = setTimeout(() => {
        if (state.stopped || !state.pipeline) return;
        printStats();
        activateStatsTimeout();
      }, STATS_PERIOD);
    };

    const client = await connect(); // kurentoClient(args.ws_uri, function(error, kurentoClient) {…})
    client.create('MediaPipeline', (error, _pipeline) => {
      if (error) return onError(error);
      state.pipeline = _pipeline;
      // Activate the ability to gather end-to-end latency stats
      state.pipeline.setLatencyStats(true, (error) => { if (error) return onError(error); });
      state.pipeline.create('WebRtcEndpoint', (error, webRtc) => {
        if (error) return onError(error);
        state.webRtcEndpoint = webRtc;
        setIceCandidateCallbacks(peer, webRtc, onError, found);
        webRtc.processOffer(offer, (error, sdpAnswer) => {
          if (error) return onError(error);
          webRtc.gatherCandidates(onError);
          state.answer = sdpAnswer;
          peer.processAnswer(sdpAnswer); // webRtcPeer.processAnswer(sdpAnswer, onError)
        });
        webRtc.connect(webRtc, (error) => {
          if (error) return onError(error);
          // "Loopback established"
          state.webRtcEndpoint.on('MediaStateChanged', (event) => {
            mediaStates.push(event);
            if (event.newState == 'CONNECTED') activateStatsTimeout(); // eslint-disable-line eqeqeq
          });
        });
      });
    });
    // -------------------------------------------------------------------------

    const stop = async () => {
      state.stopped = true;
      clearTimeout(state.statsTimer);
      await waitUntil(() => state.inFlight === 0, 'pending getStats answers', 3000);
    };
    try {
      await checks();
    } finally {
      // Whatever happened, no getStats after the client is closed.
      state.stopped = true;
      clearTimeout(state.statsTimer);
    }

    async function checks() {
      await waitUntil(() => errors.length || mediaStates.length, 'MediaStateChanged after the subscription (the tutorial waits for it)', 10000);
      assert.deepEqual(errors, [], 'no error reached the tutorial\'s onError');
      await peer.waitFor((m) => m.connected, 'the peer connected', 1000);
      // Three ticks of the tutorial's polling.
      await waitUntil(() => errors.length || (statsTicks.length >= 3 && statsTicks[2].maps.length === 3), 'three ticks of getStats', 3 * STATS_PERIOD + 3000);
      assert.deepEqual(errors, [], 'no error reached the tutorial\'s onError');
      const pipeline = state.pipeline;
      const webRtc = state.webRtcEndpoint;
      const sessionId = sessionOf(client);

      // --- The tutorial's call order on the wire (§5.1) ------------------------
      const reqs = proxy.requests(0);
      const n = peerCandidates.length;
      const expected = [
        'ping', 'describe', 'invoke getInfo', 'create MediaPipeline', 'invoke setLatencyStats', 'create WebRtcEndpoint',
        ...Array(n).fill('invoke addIceCandidate'), 'subscribe IceCandidateFound', 'invoke processOffer', 'invoke connect',
        'invoke gatherCandidates', 'subscribe MediaStateChanged',
      ];
      assert.deepEqual(reqs.slice(0, expected.length).map(label), expected, 'requests in the tutorial\'s order');
      assert.deepEqual(reqs.slice(0, expected.length).map((r) => r.id), expected.map((_, i) => i), 'ids 0, 1, 2, …');
      const polled = reqs.slice(expected.length, expected.length + 9);
      assert.deepEqual(polled.map(label), Array(9).fill('invoke getStats'), 'then only getStats');
      for (const r of polled) {
        assert.equal(r.params.object, webRtc.id);
        assert.deepEqual(r.params.operationParams, { mediaType: 'VIDEO' });
      }
      assert.deepEqual(reqs[0].params, { interval: 5000 }, 'first client of the process: ping with interval');
      const byLabel = (l) => reqs.find((r) => label(r) === l);
      assert.deepEqual(byLabel('invoke setLatencyStats').params.operationParams, { latencyStats: true });
      assert.equal(byLabel('invoke setLatencyStats').params.object, pipeline.id);
      assert.deepEqual(byLabel('create WebRtcEndpoint').params.constructorParams, { mediaPipeline: pipeline.id });
      const addIce = reqs.filter((r) => label(r) === 'invoke addIceCandidate');
      assert.deepEqual(addIce.map((r) => r.params.operationParams.candidate),
        peerCandidates.map((c) => ({ ...c, __module__: 'kurento', __type__: 'IceCandidate' })), 'browser candidates as IceCandidate complex values');
      assert.deepEqual(byLabel('invoke processOffer').params.operationParams, { offer });
      assert.deepEqual(byLabel('invoke connect').params.operationParams, { sink: webRtc.id });
      assert.equal(byLabel('invoke gatherCandidates').params.operationParams, undefined);
      for (const r of reqs.slice(2)) assert.equal(r.params.sessionId, sessionId, `${label(r)} #${r.id} carries the session`);
      for (const r of reqs.slice(0, expected.length)) {
        const ans = proxy.answer(r.id, 0);
        assert.ok(ans && ans.result && !ans.error, `${label(r)} #${r.id} succeeded: ${JSON.stringify(ans)}`);
      }
      for (const r of addIce) assert.equal(proxy.answer(r.id, 0).result.value, null, 'addIceCandidate answers value null');

      // processOffer's answer is an SDP answer to the peer's offer.
      assert.equal(typeof state.answer, 'string');
      assert.match(state.answer, /^v=0\r\n/);
      assert.deepEqual(sdpMids(state.answer), sdpMids(offer), 'the answer keeps the offer\'s m-lines and mids');
      assert.match(state.answer, /\r\na=setup:(active|passive)\r\n/);

      // IceCandidateFound: loopback candidates, relayed to the peer.
      assert.ok(found.length >= 1, 'IceCandidateFound events');
      for (const e of found) {
        assert.equal(e.type, 'IceCandidateFound');
        assert.equal(e.source, webRtc.id);
        assert.match(e.candidate.candidate, /^candidate:\S+ 1 (udp|UDP|tcp|TCP) \d+ 127\.0\.0\.1 \d+ typ host/, `loopback host candidate: ${e.candidate.candidate}`);
        assert.ok(sdpMids(offer).includes(e.candidate.sdpMid), `sdpMid ${e.candidate.sdpMid} is one of the offer's mids`);
        assert.ok(Number.isInteger(e.candidate.sdpMLineIndex));
      }
      const iceEvents = proxy.events(0).filter((e) => e.params.value.type === 'IceCandidateFound');
      for (const e of iceEvents) {
        assert.equal(e.params.value.data.candidate.__module__, 'kurento');
        assert.equal(e.params.value.data.candidate.__type__, 'IceCandidate');
      }

      // MediaStateChanged DISCONNECTED → CONNECTED, after the subscription.
      assert.equal(mediaStates.length, 1, `one MediaStateChanged so far: ${JSON.stringify(mediaStates)}`);
      assert.equal(mediaStates[0].oldState, 'DISCONNECTED');
      assert.equal(mediaStates[0].newState, 'CONNECTED');
      assert.equal(mediaStates[0].source, webRtc.id);
      assert.match(mediaStates[0].timestampMillis, /^\d{13}$/);
      const frameIndex = (pred) => proxy.frames.findIndex(pred);
      const subReq = byLabel('subscribe MediaStateChanged');
      const subAnswerAt = frameIndex((f) => f.dir === 's2c' && f.msg && f.msg.id === subReq.id && !f.msg.method);
      const eventAt = frameIndex((f) => f.dir === 's2c' && f.msg && f.msg.method === 'onEvent' && f.msg.params.value.type === 'MediaStateChanged');
      assert.ok(subAnswerAt >= 0 && eventAt > subAnswerAt, `the event (frame ${eventAt}) comes after the subscribe answer (frame ${subAnswerAt})`);

      // --- getStats('VIDEO') while media flows ---------------------------------
      for (const [i, tick] of statsTicks.entries()) {
        assert.equal(tick.maps.length, 3, `tick ${i}: three answers`);
        for (const map of tick.maps) {
          assertStatsShape(map, { endpointId: webRtc.id, startedAt, what: `tick ${i} getStats('VIDEO')` });
          assert.equal(entries(map, 'inboundrtp').length, 1, `tick ${i}: one inboundrtp (the video received)`);
          assert.equal(entries(map, 'outboundrtp').length, 1, `tick ${i}: one outboundrtp (the video sent)`);
          assert.equal(entries(map, 'endpoint').length, 1, `tick ${i}: the endpoint entry (latency stats are on)`);
          assert.equal(Object.keys(map).length, 3, `tick ${i}: nothing else for VIDEO: ${Object.keys(map)}`);
        }
        assert.ok(tick.inbound && tick.outbound && tick.endpoint, `tick ${i}: the tutorial finds inboundrtp, outboundrtp and endpoint`);
      }
      // The client hands over the wire value as is.
      const lastPolled = polled.at(-1);
      assert.ok(statsTicks.flatMap((x) => x.maps).some((m) => JSON.stringify(m) === JSON.stringify(proxy.answer(lastPolled.id, 0).result.value)),
        'getStats resolves to the wire value');

      // Ids and SSRCs are stable across calls.
      const first = statsTicks[0];
      const last = statsTicks[statsTicks.length - 1];
      for (const tick of statsTicks) {
        for (const map of tick.maps) {
          assert.deepEqual(Object.keys(map).sort(), Object.keys(first.maps[0]).sort(), 'same stats ids in every answer');
        }
        assert.equal(tick.inbound.ssrc, first.inbound.ssrc);
        assert.equal(tick.outbound.ssrc, first.outbound.ssrc);
      }
      assert.equal(first.inbound.ssrc, offerSsrc.video, 'inbound video SSRC is the one the peer announced');

      // Counters move between two reads a tick apart.
      assert.ok(last.at - first.at >= STATS_PERIOD, 'reads at least a tick apart');
      assert.ok(last.inbound.timestampMillis > first.inbound.timestampMillis, 'timestampMillis advances');
      assert.ok(last.inbound.packetsReceived > first.inbound.packetsReceived,
        `inbound packetsReceived moves: ${first.inbound.packetsReceived} → ${last.inbound.packetsReceived}`);
      assert.ok(last.inbound.bytesReceived > first.inbound.bytesReceived,
        `inbound bytesReceived moves: ${first.inbound.bytesReceived} → ${last.inbound.bytesReceived}`);
      assert.ok(last.outbound.packetsSent > first.outbound.packetsSent,
        `outbound packetsSent moves: ${first.outbound.packetsSent} → ${last.outbound.packetsSent}`);
      assert.ok(last.outbound.bytesSent > first.outbound.bytesSent,
        `outbound bytesSent moves: ${first.outbound.bytesSent} → ${last.outbound.bytesSent}`);
      for (let i = 1; i < statsTicks.length; i++) {
        assertMonotonic(statsTicks[i - 1].inbound, statsTicks[i].inbound, ['packetsReceived', 'bytesReceived', 'pliCount', 'firCount', 'nackCount'], `inbound tick ${i}`);
        assertMonotonic(statsTicks[i - 1].outbound, statsTicks[i].outbound, ['packetsSent', 'bytesSent', 'pliCount', 'firCount', 'nackCount'], `outbound tick ${i}`);
      }

      // E2ELatency: a VIDEO entry, average in nanoseconds.
      for (const tick of statsTicks) {
        const e2e = tick.endpoint.E2ELatency;
        assert.ok(e2e.length >= 1 && e2e.every((l) => l.type === 'VIDEO'), `VIDEO only with the VIDEO selector: ${JSON.stringify(e2e)}`);
        assert.ok(tick.endpoint.inputLatency.every((l) => l.type === 'VIDEO'), `inputLatency VIDEO only: ${JSON.stringify(tick.endpoint.inputLatency)}`);
      }
      const e2eVideo = last.endpoint.E2ELatency.find((l) => l.type === 'VIDEO');
      assert.ok(e2eVideo.avg > 1000 && e2eVideo.avg < 1e9, `E2ELatency VIDEO avg ${e2eVideo.avg} is in nanoseconds: > 1 µs (no forwarding is faster) and < 1 s`);
      t.diagnostic(`E2ELatency VIDEO avg ${Math.round(e2eVideo.avg)} ns; inputLatency ${JSON.stringify(last.endpoint.inputLatency.map((l) => Math.round(l.avg)))}`);

      // --- Stats against what the peer sent and received ------------------------
      const before = await peer.report();
      const video = await cbOk((done) => webRtc.getStats('VIDEO', done));
      const after = await peer.report();
      const vin = pick(video, 'inboundrtp');
      const vout = pick(video, 'outboundrtp');
      t.diagnostic(`peer sent ${JSON.stringify(after.sent)}, received video ${JSON.stringify(after.received.video)} audio ${JSON.stringify(after.received.audio)}`);
      t.diagnostic(`server video inbound ${vin.packetsReceived} pkts/${vin.bytesReceived} B, outbound ${vout.packetsSent} pkts/${vout.bytesSent} B`);
      assert.ok(vin.packetsReceived <= after.sent.video, `inbound packetsReceived ${vin.packetsReceived} ≤ video packets the peer sent (${after.sent.video})`);
      assert.ok(vin.packetsReceived > 0.5 * before.sent.video, `inbound packetsReceived ${vin.packetsReceived} > 50% of the video packets the peer sent (${before.sent.video})`);
      assert.ok(vin.bytesReceived >= 1000 * vin.packetsReceived, `bytesReceived ${vin.bytesReceived} counts the 1000-byte payloads of ${vin.packetsReceived} packets`);
      assert.ok(before.received.video.packets <= vout.packetsSent, `the peer received ${before.received.video.packets} ≤ outbound packetsSent ${vout.packetsSent}`);
      assert.equal(vout.ssrc, String(after.received.video.ssrc), 'outbound video SSRC is the one the peer receives');

      // The peer gets its own packets back (loopback): all marked, all its own.
      for (const kind of ['audio', 'video']) {
        const r = after.received[kind];
        assert.ok(r.own > 0, `${kind}: the peer receives its own packets back (${JSON.stringify(r)})`);
        assert.equal(r.marked, r.packets, `${kind}: every packet received is a marked test packet`);
        assert.equal(r.own, r.marked, `${kind}: every marked packet is the peer's own`);
      }

      // --- getStats() without media type: everything ---------------------------
      const all = await cbOk((done) => webRtc.getStats(done));
      const getStatsAll = proxy.invokes('getStats', 0).at(-1);
      assert.deepEqual(getStatsAll.params.operationParams, {}, 'getStats() sends no mediaType');
      assertStatsShape(all, { endpointId: webRtc.id, startedAt, what: 'getStats()' });
      assert.equal(entries(all, 'inboundrtp').length, 2, 'inbound audio and video');
      assert.equal(entries(all, 'outboundrtp').length, 2, 'outbound audio and video');
      assert.equal(entries(all, 'endpoint').length, 1);
      for (const id of Object.keys(first.maps[0])) assert.ok(id in all, `VIDEO stats id ${id} is the same in getStats()`);
      assert.deepEqual(pick(all, 'endpoint').E2ELatency.map((l) => l.type).sort(), ['AUDIO', 'VIDEO'], 'E2ELatency for both media');

      // --- getStats('AUDIO'): the audio SSRCs -----------------------------------
      const audio = await cbOk((done) => webRtc.getStats('AUDIO', done));
      assertStatsShape(audio, { endpointId: webRtc.id, startedAt, what: "getStats('AUDIO')" });
      const ain = entries(audio, 'inboundrtp');
      const aout = entries(audio, 'outboundrtp');
      assert.equal(ain.length, 1);
      assert.equal(aout.length, 1);
      assert.equal(ain[0].ssrc, offerSsrc.audio, 'inbound audio SSRC is the one the peer announced');
      assert.equal(aout[0].ssrc, String(after.received.audio.ssrc), 'outbound audio SSRC is the one the peer receives');
      assert.notEqual(ain[0].id, vin.id);
      assert.ok(ain[0].packetsReceived > 0 && aout[0].packetsSent > 0, 'audio flows both ways');
      assert.ok(ain[0].id in all && aout[0].id in all, 'audio ids are the same in getStats()');
      assert.ok(pick(audio, 'endpoint').E2ELatency.every((l) => l.type === 'AUDIO'), 'AUDIO only with the AUDIO selector');

      // --- A PLI from the browser is counted in the outbound pliCount -----------
      const pliBefore = vout.pliCount;
      const keyframeRequestsBefore = after.keyframeRequests;
      peer.send({ pli: true });
      let pliNow = pliBefore;
      const pliDeadline = Date.now() + 3000;
      while (pliNow <= pliBefore && Date.now() < pliDeadline) {
        await sleep(100);
        pliNow = pick(await cbOk((done) => webRtc.getStats('VIDEO', done)), 'outboundrtp').pliCount;
      }
      assert.equal(peer.errors().length, 0, `peer errors: ${JSON.stringify(peer.errors())}`);
      assert.ok(pliNow >= pliBefore + 1, `outbound pliCount counts the peer's PLI: ${pliBefore} → ${pliNow}`);
      t.diagnostic(`keyframe requests received by the peer: ${keyframeRequestsBefore} before its PLI, ${(await peer.report()).keyframeRequests} after`);

      // --- Stop: release the pipeline --------------------------------------------
      await stop();
      assert.deepEqual(errors, [], 'no error reached the tutorial\'s onError');
      const [sm] = await cbObj((done) => client.getServerManager(done));
      assert.ok((await cbOk((done) => sm.getPipelines(done))).some((p) => p.id === pipeline.id), 'getPipelines lists the pipeline');
      await cbOk((done) => pipeline.release(done));
      const release = proxy.requests(0).find((r) => r.method === 'release');
      assert.deepEqual(release.params, { object: pipeline.id, sessionId });
      assert.deepEqual(Object.keys(proxy.answer(release.id, 0).result), ['sessionId']);
      const pipelines = await cbOk((done) => sm.getPipelines(done));
      assert.ok(!pipelines.some((p) => p.id === pipeline.id), `the released pipeline is gone from getPipelines: ${pipelines.map((p) => p.id)}`);
      const [gone] = await cbResult((done) => webRtc.getStats('VIDEO', done));
      assert.equal(gone && gone.code, 40101, 'the endpoint went with the pipeline');

      // Media stops with the release: what the peer receives stops changing
      // (two reports 300 ms apart are equal) while it keeps sending.
      let r1 = await peer.report();
      let r2;
      for (const end = Date.now() + 3000; ;) {
        await sleep(300);
        r2 = await peer.report();
        if (JSON.stringify(r2.received) === JSON.stringify(r1.received) || Date.now() > end) break;
        r1 = r2;
      }
      assert.deepEqual(r2.received, r1.received, 'nothing is echoed any more after the release');
      assert.ok(r2.sent.video > r1.sent.video, 'while the peer keeps sending');
      t.diagnostic(`run took ${Date.now() - startedAt} ms`);
    }
  });
});

// ---------------------------------------------------------------------------
// 2. kurento-hello-world (§5.2): processOffer, gatherCandidates and connect
//    back to back; no latency stats, no MediaStateChanged.

test('hello-world tutorial: processOffer, gatherCandidates, connect back to back; media echoed; release', { skip }, async (t) => {
  await withEnv(t, { config: CONFIG, timeout: 15000 }, async ({ proxy, connect, startPeer }) => {
    const peer = startPeer();
    const { offer } = await peer.waitFor((m) => m.offer, 'SDP offer');
    await peer.waitFor((m) => m.gatheringDone, 'ICE gathering of the peer');
    const n = peer.messages.filter((m) => m.candidate).length;
    peer.each((m) => { if (m.connected) peer.send({ start: true }); });

    const errors = [];
    const onError = (error) => { if (error) errors.push(error); };
    const found = [];
    const state = { pipeline: null, webRtc: null, loopback: false };
    const client = await connect();
    client.create('MediaPipeline', (error, _pipeline) => {
      if (error) return onError(error);
      state.pipeline = _pipeline;
      state.pipeline.create('WebRtcEndpoint', (error, webRtc) => {
        if (error) return onError(error);
        state.webRtc = webRtc;
        setIceCandidateCallbacks(peer, webRtc, onError, found);
        webRtc.processOffer(offer, (error, sdpAnswer) => {
          if (error) return onError(error);
          peer.processAnswer(sdpAnswer);
        });
        webRtc.gatherCandidates(onError);
        webRtc.connect(webRtc, (error) => {
          if (error) return onError(error);
          state.loopback = true; // "Loopback established"
        });
      });
    });

    await waitUntil(() => errors.length || state.loopback, 'loopback established', 5000);
    assert.deepEqual(errors, []);
    await peer.waitFor((m) => m.connected, 'the peer connected', 8000);
    // The peer's own packets come back.
    let report = await peer.report();
    for (let i = 0; i < 50 && !(report.received.audio.own > 5 && report.received.video.own > 5); i++) {
      await sleep(100);
      report = await peer.report();
    }
    for (const kind of ['audio', 'video']) {
      const r = report.received[kind];
      assert.ok(r.own > 5, `${kind}: the peer receives its own packets back (${JSON.stringify(r)})`);
      assert.equal(r.marked, r.packets, `${kind}: only marked packets`);
      assert.equal(r.own, r.marked, `${kind}: all of them its own`);
    }

    const reqs = proxy.requests(0);
    const expected = [
      'ping', 'describe', 'invoke getInfo', 'create MediaPipeline', 'create WebRtcEndpoint',
      ...Array(n).fill('invoke addIceCandidate'), 'subscribe IceCandidateFound', 'invoke processOffer', 'invoke gatherCandidates',
      'invoke connect',
    ];
    assert.deepEqual(reqs.map(label), expected, 'requests in the hello-world order');
    for (const r of reqs) assert.ok(proxy.answer(r.id, 0).result, `${label(r)} #${r.id} succeeded`);
    assert.ok(found.length >= 1, 'IceCandidateFound events');
    t.diagnostic(`${peer.bufferedRemote} of ${found.length} server candidates reached the app before the processOffer answer (buffered as kurento-utils does)`);

    // Without latency stats there is no endpoint entry (§4.2).
    const stats = await cbOk((done) => state.webRtc.getStats(done));
    assert.deepEqual(Object.values(stats).map((s) => s.type).sort(), ['inboundrtp', 'inboundrtp', 'outboundrtp', 'outboundrtp']);

    // Stop.
    await cbOk((done) => state.pipeline.release(done));
    const [sm] = await cbObj((done) => client.getServerManager(done));
    const pipelines = await cbOk((done) => sm.getPipelines(done));
    assert.ok(!pipelines.some((p) => p.id === state.pipeline.id), 'the released pipeline is gone');
    assert.deepEqual(errors, []);
    assert.equal(peer.errors().length, 0, `peer errors: ${JSON.stringify(peer.errors())}`);
  });
});
