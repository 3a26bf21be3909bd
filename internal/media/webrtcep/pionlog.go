package webrtcep

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// pionLogger routes Pion's logs to slog at debug level (warnings and errors
// keep their level).
type pionLogger struct{ log *slog.Logger }

func (l pionLogger) NewLogger(scope string) logging.LeveledLogger {
	return pionScope{l.log.With("pion", scope)}
}

type pionScope struct{ log *slog.Logger }

func (s pionScope) Trace(string)              {}
func (s pionScope) Tracef(string, ...any)     {}
func (s pionScope) Debug(msg string)          { s.log.Debug(msg) }
func (s pionScope) Debugf(f string, a ...any) { s.debugf(f, a...) }
func (s pionScope) Info(msg string)           { s.log.Debug(msg) }
func (s pionScope) Infof(f string, a ...any)  { s.debugf(f, a...) }

// Pion warns about normal events of a connection's life (checks before
// candidates, streams closing): those go to debug, its errors to warn.
func (s pionScope) Warn(msg string)           { s.log.Debug(msg) }
func (s pionScope) Warnf(f string, a ...any)  { s.debugf(f, a...) }
func (s pionScope) Error(msg string)          { s.log.Warn(msg) }
func (s pionScope) Errorf(f string, a ...any) { s.log.Warn(fmt.Sprintf(f, a...)) }

// debugf formats only when debug logging is on: besides the cost, Pion
// formats some of its objects with %+v while another of its goroutines
// writes them (TrackRemote in onTrack, a data race under -race).
func (s pionScope) debugf(f string, a ...any) {
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		s.log.Debug(fmt.Sprintf(f, a...))
	}
}
