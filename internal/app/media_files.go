package app

import (
	"log/slog"
	"strings"

	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/container"
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
