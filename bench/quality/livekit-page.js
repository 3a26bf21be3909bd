// Joins the LiveKit room of livekit.html's query with livekit-client's
// defaults and shows the first remote video in a 1280×720 element (so a
// layer choice by element size could never pick a small layer). Publishes
// the microphone, and the camera when camera=1, as the room demo's pages do.
// State for the driver: window.lkDemo = {state: 'joining'|'joined'|'failed', errors}.
(async () => {
  const demo = window.lkDemo = { state: 'joining', errors: [], sdk: LivekitClient.version };
  const q = new URLSearchParams(location.search);
  const { Room, RoomEvent, Track } = LivekitClient;
  const room = new Room(); // SDK defaults: adaptiveStream false, dynacast false
  room.on(RoomEvent.TrackSubscribed, (track) => {
    if (track.kind === Track.Kind.Video) track.attach(document.getElementById('remote'));
    else track.attach();
  });
  room.on(RoomEvent.Disconnected, (reason) => demo.errors.push('disconnected: ' + reason));
  try {
    const opts = {};
    if (q.get('ice')) opts.rtcConfig = JSON.parse(q.get('ice'));
    await room.connect(q.get('url'), q.get('token'), opts);
    await room.localParticipant.setMicrophoneEnabled(true);
    // Default publish options: VP8, simulcast (h180, h360 under the 720p capture).
    if (q.get('camera') === '1') await room.localParticipant.setCameraEnabled(true);
    demo.state = 'joined';
  } catch (e) {
    demo.errors.push(String(e && e.stack || e));
    demo.state = 'failed';
  }
  window.lkRoom = room;
})();
