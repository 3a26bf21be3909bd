package webrtcep

import "github.com/gorento/gorento/internal/media"

// Events of a WebRtcEndpoint, besides the graph and session-endpoint events
// of package media (MediaSessionStarted, MediaStateChanged,
// ConnectionStateChanged, ErrorEvent{ErrICEFailed}, …).

// Candidate is an ICE candidate as signalled: the "candidate:…" attribute
// value and the m-line it belongs to.
type Candidate struct {
	Candidate     string
	SdpMid        string
	SdpMLineIndex int
}

// IceCandidateFound reports a local candidate, after GatherCandidates.
type IceCandidateFound Candidate

// IceGatheringDone reports the end of local candidate gathering.
type IceGatheringDone struct{}

// IceComponentStateChanged reports a state of the (single, bundled) ICE component.
type IceComponentStateChanged struct{ State ICEState }

// NewCandidatePairSelected reports the candidate pair ICE uses.
type NewCandidatePairSelected struct{ LocalCandidate, RemoteCandidate string }

// DtlsStateChanged reports a DTLS transport state.
type DtlsStateChanged struct{ State DTLSState }

// DataChannelOpened reports a data channel that opened.
type DataChannelOpened struct{ ChannelID int }

// DataChannelClosed reports a data channel that closed.
type DataChannelClosed struct{ ChannelID int }

// ICEState is the state of the ICE component, in the sequence a client
// sees: Disconnected, then after GatherCandidates Gathering, Connecting,
// Connected, Ready; Failed when checks fail.
type ICEState uint8

// ICE component states.
const (
	ICEDisconnected ICEState = iota
	ICEGathering
	ICEConnecting
	ICEConnected
	ICEReady
	ICEFailed
)

func (s ICEState) String() string {
	return [...]string{"disconnected", "gathering", "connecting", "connected", "ready", "failed"}[s]
}

// DTLSState is the state of the DTLS transport.
type DTLSState uint8

// DTLS transport states.
const (
	DTLSNew DTLSState = iota
	DTLSConnecting
	DTLSConnected
	DTLSClosed
	DTLSFailed
)

func (s DTLSState) String() string {
	return [...]string{"new", "connecting", "connected", "closed", "failed"}[s]
}

// MediaEvent implements media.Event.
func (IceCandidateFound) MediaEvent() {}

// MediaEvent implements media.Event.
func (IceGatheringDone) MediaEvent() {}

// MediaEvent implements media.Event.
func (IceComponentStateChanged) MediaEvent() {}

// MediaEvent implements media.Event.
func (NewCandidatePairSelected) MediaEvent() {}

// MediaEvent implements media.Event.
func (DtlsStateChanged) MediaEvent() {}

// MediaEvent implements media.Event.
func (DataChannelOpened) MediaEvent() {}

// MediaEvent implements media.Event.
func (DataChannelClosed) MediaEvent() {}

var _ = []media.Event{IceCandidateFound{}, IceGatheringDone{}, IceComponentStateChanged{}, NewCandidatePairSelected{},
	DtlsStateChanged{}, DataChannelOpened{}, DataChannelClosed{}}
