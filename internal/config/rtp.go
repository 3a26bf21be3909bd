package config

import "fmt"

// RTPConfig is the server-wide RtpEndpoint configuration (plain RTP and
// SDES-SRTP, docs/rtp-endpoint.md). Addresses and ports are checked when
// the server starts (internal/media/rtpep.Config.Validate).
type RTPConfig struct {
	// Address and Address6: where RtpEndpoint sockets bind and what their
	// SDP announces, without and with useIpv6 (default 127.0.0.1 and ::1,
	// this machine only: set a LAN address to reach gateways elsewhere).
	Address  string `json:"address"`
	Address6 string `json:"address6"`
	// AnnouncedAddress and AnnouncedAddress6 replace them in the SDP (NAT).
	AnnouncedAddress  string `json:"announcedAddress"`
	AnnouncedAddress6 string `json:"announcedAddress6"`
	// MinPort and MaxPort bound the UDP ports (default 1024–65535, as KMS's
	// BaseRtpEndpoint.conf.ini); each m-line takes an even port and the next.
	MinPort int `json:"minPort"`
	MaxPort int `json:"maxPort"`
	// MaxEndpoints bounds the RtpEndpoints of the server (default 1000).
	MaxEndpoints int `json:"maxEndpoints"`
	// MediaTimeout: no RTCP for this long turns mediaState DISCONNECTED
	// (default 10s).
	MediaTimeout Duration `json:"mediaTimeout"`
	// KeySoftLimit: packets per SRTP key before OnKeySoftLimit (default
	// 2^48−2^16, libsrtp's soft limit).
	KeySoftLimit uint64 `json:"keySoftLimit"`
}

func (c *Config) validateRTP() []error {
	r := c.RTP
	var errs []error
	if r.MaxEndpoints < 0 {
		errs = append(errs, fmt.Errorf("rtp.maxEndpoints %d is negative", r.MaxEndpoints))
	}
	if r.MediaTimeout.Duration < 0 {
		errs = append(errs, fmt.Errorf("rtp.mediaTimeout %v is negative", r.MediaTimeout))
	}
	return errs
}
