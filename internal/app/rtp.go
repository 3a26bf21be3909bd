package app

import (
	"log/slog"

	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/internal/media/rtpep"
)

// rtpConfig converts the RtpEndpoint settings (zero values take rtpep's defaults).
func rtpConfig(r config.RTPConfig, log *slog.Logger) rtpep.Config {
	return rtpep.Config{Address: r.Address, Address6: r.Address6, AnnouncedAddress: r.AnnouncedAddress,
		AnnouncedAddress6: r.AnnouncedAddress6, MinPort: r.MinPort, MaxPort: r.MaxPort, MaxEndpoints: r.MaxEndpoints,
		MediaTimeout: r.MediaTimeout.Duration, KeySoftLimit: r.KeySoftLimit, Logger: log}
}
