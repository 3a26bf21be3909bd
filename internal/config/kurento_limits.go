package config

import "fmt"

// KurentoLimits bound what one client of the Kurento Protocol port can make
// the server hold (docs/operations.md). They are embedded in KurentoConfig,
// so their keys sit under "kurento" next to the transport limits. Every
// limit answers with a Kurento error saying which key to raise; the
// defaults are far above what kurento-client, the tutorials and the room
// server use.
type KurentoLimits struct {
	// MaxJSONDepth bounds how deeply a request's JSON nests (default 64;
	// Kurento requests nest less than ten levels). A deeper frame is
	// answered with an error before it is decoded.
	MaxJSONDepth int `json:"maxJsonDepth"`
	// MaxTransactionOperations bounds the operations of one transaction
	// (default 1000). A transaction inside a transaction is always refused:
	// KMS has no nesting.
	MaxTransactionOperations int `json:"maxTransactionOperations"`
	// MaxSessions bounds the sessions held server-wide, connected or waiting
	// for reconnection / garbage collection (default 10000).
	MaxSessions int `json:"maxSessions"`
	// MaxSessionsPerConnection bounds the sessions one WebSocket opens
	// (default 16; kurento-client opens one).
	MaxSessionsPerConnection int `json:"maxSessionsPerConnection"`
	// MaxSessionIDLength bounds a client-chosen session id, in bytes
	// (default 128; Gorento issues 36-character UUIDs).
	MaxSessionIDLength int `json:"maxSessionIdLength"`
	// MaxObjectsPerSession bounds the media objects one session holds
	// (default 10000: pipelines, elements and the objects it references).
	MaxObjectsPerSession int `json:"maxObjectsPerSession"`
	// MaxTagsPerObject and MaxTagBytesPerObject bound an object's tags
	// (default 64 tags, 16 KiB of keys and values): what
	// sendTagsInEvents adds to each event stays small.
	MaxTagsPerObject     int `json:"maxTagsPerObject"`
	MaxTagBytesPerObject int `json:"maxTagBytesPerObject"`
	// MaxIceCandidates bounds the remote ICE candidates of one
	// WebRtcEndpoint, trickled and in the SDP together (default 64).
	MaxIceCandidates int `json:"maxIceCandidates"`
}

// DefaultKurentoLimits returns the default limits.
func DefaultKurentoLimits() KurentoLimits {
	return KurentoLimits{
		MaxJSONDepth: 64, MaxTransactionOperations: 1000, MaxSessions: 10000, MaxSessionsPerConnection: 16, MaxSessionIDLength: 128,
		MaxObjectsPerSession: 10000, MaxTagsPerObject: 64, MaxTagBytesPerObject: 16 << 10, MaxIceCandidates: 64,
	}
}

func (l KurentoLimits) validate() []error {
	var errs []error
	for _, v := range []struct {
		name string
		n    int
	}{
		{"maxJsonDepth", l.MaxJSONDepth}, {"maxTransactionOperations", l.MaxTransactionOperations}, {"maxSessions", l.MaxSessions},
		{"maxSessionsPerConnection", l.MaxSessionsPerConnection}, {"maxSessionIdLength", l.MaxSessionIDLength},
		{"maxObjectsPerSession", l.MaxObjectsPerSession}, {"maxTagsPerObject", l.MaxTagsPerObject},
		{"maxTagBytesPerObject", l.MaxTagBytesPerObject}, {"maxIceCandidates", l.MaxIceCandidates},
	} {
		if v.n <= 0 {
			errs = append(errs, fmt.Errorf("kurento.%s must be positive (got %d)", v.name, v.n))
		}
	}
	if l.MaxJSONDepth > 0 && l.MaxJSONDepth < 16 {
		errs = append(errs, fmt.Errorf("kurento.maxJsonDepth %d: at least 16 (Kurento requests nest up to ~10 levels)", l.MaxJSONDepth))
	}
	if l.MaxSessionIDLength > 0 && l.MaxSessionIDLength < 36 {
		errs = append(errs, fmt.Errorf("kurento.maxSessionIdLength %d: at least 36 (a UUID)", l.MaxSessionIDLength))
	}
	if l.MaxSessionsPerConnection > l.MaxSessions {
		errs = append(errs, fmt.Errorf("kurento.maxSessionsPerConnection %d exceeds kurento.maxSessions %d", l.MaxSessionsPerConnection, l.MaxSessions))
	}
	return errs
}
