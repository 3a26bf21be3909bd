package app

import (
	"log/slog"
	"strings"

	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/player"
	recording "github.com/gorento/gorento/internal/media/recorder"
)

// recorderConfig maps the mediaFiles section to the recorders' settings.
func recorderConfig(c config.Config, log *slog.Logger) recording.Config {
	r := c.MediaFiles.Recorder
	if r.StartWait.Duration == 0 {
		r.StartWait.Duration = -1 // wait for ever, as KMS
	}
	sync := map[string]container.SyncPolicy{"never": container.SyncNever, "close": container.SyncOnClose,
		"fragment": container.SyncEveryFragment}[r.Sync]
	return recording.Config{
		Queue:            media.QueueConfig{Packets: r.QueuePackets},
		FragmentDuration: r.FragmentDuration.Duration,
		StartWait:        r.StartWait.Duration,
		Sync:             sync,
		KeepCodecs:       r.KeepCodecs,
		AllowedPaths:     c.MediaFiles.AllowedPaths,
		HTTPMethod:       strings.ToUpper(r.HTTPMethod),
		UploadBuffer:     r.UploadBufferBytes,
		UploadTimeout:    r.UploadTimeout.Duration,
		StopTimeout:      r.StopTimeout.Duration,
		Logger:           log,
	}
}

// playerConfig maps the mediaFiles section to the players' settings.
func playerConfig(c config.Config, log *slog.Logger) player.Config {
	p := c.MediaFiles.Player
	return player.Config{
		OpenTimeout:  p.OpenTimeout.Duration,
		ProbeTimeout: p.ProbeTimeout.Duration,
		AllowedPaths: c.MediaFiles.AllowedPaths,
		Limits:       container.DemuxLimits{MaxElement: p.MaxFrameBytes},
		Logger:       log,
	}
}
