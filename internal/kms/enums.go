package kms

import (
	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/webrtcep"
)

// Kurento enum values of the engine's typed states.

var mediaTypeNames = [...]string{media.Audio: "AUDIO", media.Video: "VIDEO", media.Data: "DATA"}

// mediaTypeName returns the MediaType enum value of mt.
func mediaTypeName(mt media.MediaType) string { return mediaTypeNames[mt] }

// parseMediaType parses a MediaType enum value.
func parseMediaType(s string) (media.MediaType, bool) {
	for mt, name := range mediaTypeNames {
		if s == name {
			return media.MediaType(mt), true
		}
	}
	return 0, false
}

// iceStateName returns the IceComponentState enum value of s.
func iceStateName(s webrtcep.ICEState) string {
	return [...]string{webrtcep.ICEDisconnected: "DISCONNECTED", webrtcep.ICEGathering: "GATHERING",
		webrtcep.ICEConnecting: "CONNECTING", webrtcep.ICEConnected: "CONNECTED", webrtcep.ICEReady: "READY",
		webrtcep.ICEFailed: "FAILED"}[s]
}

// dtlsStateName returns the DtlsConnectionState enum value of s.
func dtlsStateName(s webrtcep.DTLSState) string {
	return [...]string{webrtcep.DTLSNew: "NEW", webrtcep.DTLSConnecting: "CONNECTING", webrtcep.DTLSConnected: "CONNECTED",
		webrtcep.DTLSClosed: "CLOSED", webrtcep.DTLSFailed: "FAILED"}[s]
}
