// Package media is the graph core of Gorento's media engine: pipelines of
// elements whose source pads fan RTP out to connected sink pads. It knows
// nothing of JSON, of the Kurento Protocol or of its codes and names: it
// returns Go errors (sentinels in each package's errors.go) and
// reports typed events (event.go); internal/kms maps both to Kurento.
//
// # Layout
//
// One package per concept; each element family is its own folder:
//
//	media                    Element, Core, pads, Packet, Codec, Connect/Disconnect/Detach,
//	                         PassThrough, Clock, events, the slow-sink queue (queue.go),
//	                         the transcoding plan (transcode.go: which sinks a transcoder feeds)
//	media/mediatest          fake Source, Sink and Counter elements, a Clock moved by hand,
//	                         an event recorder, test packets
//	media/rtpx               RTP header rewriting (continuous output streams), keyframe detection
//	media/interceptor/…      Gorento's pion/interceptor implementations: rtpstats
//	                         (statistics recorder)
//	media/egress             the send path of WebRtcEndpoints: workers per core, per-track
//	                         sequencer, SRTP fast path, sender reports
//	media/sdpneg             the SdpEndpoint contract both endpoints share: one offer/answer
//	                         exchange in Kurento's order, the negotiation's kinds of failure
//	media/webrtcep           the WebRtcEndpoint on Pion: negotiation, ICE, ingress, egress,
//	                         data channels, stats, connection state
//	media/frames             RTP packets ⇄ whole frames, per codec
//	media/container/…        the recording timeline and the WebM/Matroska and MP4 formats
//	media/player             the PlayerEndpoint (paced sources, seek, worker leg for AAC)
//	media/player/source      file, http(s) and rtsp sources of frames for the player
//	media/recorder           the RecorderEndpoint (file and HTTP upload, KMS profiles)
//	media/uriep              UriEndpoint state and URI checks shared by recorder and player
//	media/workerleg          a transcoding leg in the worker, for the recorder and the player
//	media/procelem, filter   processing elements on the worker; the Kurento filters
//	media/bwe, srtpx         send-side bandwidth estimation; SRTP with reused contexts
//	media/process/…          the gorento-worker supervisor, its IPC and the GStreamer side
//	media/transcode          the transcoders the plan of transcode.go inserts
//	media/hub                Composite, HubPort, Dispatcher(OneToMany), AlphaBlending, Mixer
//	media/rtpep              the RtpEndpoint: plain RTP/RTCP over UDP, SDP offer/answer,
//	                         SDES-SRTP, symmetric RTP
//
// A new element gets a folder of its own next to these. Elements that
// decode, encode, mix, write files or hand media to another process
// consume through the slow-sink queue (Core.UseQueue); forwarding
// elements (PassThrough, WebRtcEndpoint) consume inline.
//
// # The path of an RTP packet
//
// Entering (webrtcep/ingress.go): Pion starts a goroutine per received
// track and calls Endpoint.onTrack, which runs Endpoint.readRTP. Each
// TrackRemote.Read decrypts SRTP and passes the interceptors
// (rtpstats.Recorder counts and parses the header once for the others,
// Pion's NACK generator, receiver reports, TWCC) into a pooled PacketBuf
// (packetbuf.go), whose ParseRTP fills the Packet inside it, stamped with
// Pipeline.EntryTime; SourcePad.PushBuf publishes it.
//
// Fanning out (pad.go): SourcePad.Push reads the pipeline clock once,
// marks the pad's flow meter, keeps a video packet in the pad's
// retransmission history (ring.go: SourceRing, by reference; a packet
// without a buffer is copied into one first) and calls SinkPad.deliver for
// each sink in its copy-on-write list, without a lock. deliver marks the
// sink's flow, measures latency, then either calls the element's
// Handler.Consume directly or, for an element with an input queue,
// inputQueue.push holds the packet's buffer in a slot for the element's
// goroutine (inputQueue.serve), dropping to the next keyframe when the
// queue is full (queue.go). PassThrough.Consume pushes the packet on
// through its own source pad.
//
// Leaving (webrtcep/egress.go): Endpoint.Consume hands audio and video to
// sinkTrack.write, which rewrites SSRC, payload type and header extensions
// into a scratch header, makes sequence numbers and timestamps continuous
// across source changes (rtpx.Rewriter), notes output sequence number →
// source packet in the track's egress.Sequencer (16 bytes, the payload
// stays in the source's history) and calls Pion's
// TrackLocalWriter.WriteRTP: rtpstats counts, Pion adds sender reports,
// SRTP encrypts, the UDP socket sends. A receiver's NACK is answered from
// the source's history through the sequencer. Data-channel packets go to
// dataChannels.send.
//
// Coming back (webrtcep/feedback.go): readSenderRTCP reads what receivers
// send; a PLI or FIR becomes SinkPad.RequestKeyframe, which calls the
// source element's Handler.RequestKeyframe (PassThrough asks its own
// source; an Endpoint sends a rate-limited PLI to its publisher, whose
// monitor also sends REMB built from SourcePad.DownstreamBitrate).
//
// Nothing on this path allocates (TestForwardAllocatesNothing,
// TestQueueAllocatesNothing, TestInboundAllocatesNothing).
//
// # Events
//
// Elements post events under the lock that orders the state they report
// (Core.Post) and deliver them after releasing it (Core.Deliver): one
// goroutine at a time delivers an element's events, in order, so a
// handler may call back into the engine. The pipeline's flow checks
// (flow.go) turn pad activity into MediaFlowIn/MediaFlowOut on its Clock.
package media
