package recorder

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/uriep"
)

// output is where a recording's bytes go: a local file or an HTTP upload.
// The muxer writes whole fragments (one Write each); Close finishes the
// destination and reports its last error.
type output interface {
	io.Writer
	Close() error
}

// openOutput opens the destination of uri for a file of type ft (parent
// directories of a local file are created, as KMS does on record()).
// onFail is told of failures found in the background (uploads).
func openOutput(uri string, ft container.FileType, audioOnly bool, cfg *Config, onFail func(error)) (output, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrOpen, uri, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "file":
		if err := uriep.CheckPath(uri, cfg.AllowedPaths); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrOpen, err)
		}
		path, _, err := uriep.FilePath(uri)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrOpen, err)
		}
		return openFile(path)
	case "http", "https":
		return startUpload(u, contentType(ft, audioOnly), cfg, onFail)
	}
	return nil, fmt.Errorf("%w: unsupported URI scheme %q (file, http and https are)", ErrOpen, u.Scheme)
}

// fileOutput is a local file. The muxer sees the *os.File itself through
// WriterAt, so that a clean stop patches the header (duration, cues).
type fileOutput struct{ *os.File }

func openFile(path string) (output, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOpen, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOpen, err)
	}
	return fileOutput{f}, nil
}

// writeError classifies an error of the muxer's writes.
func writeError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrOpen), errors.Is(err, ErrWrite):
		return err
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%w: %w: %v", ErrNoSpace, ErrWrite, err)
	}
	return fmt.Errorf("%w: %v", ErrWrite, err)
}

// contentType is the MIME type announced for an upload.
func contentType(ft container.FileType, audioOnly bool) string {
	kind := "video"
	if audioOnly {
		kind = "audio"
	}
	switch ft {
	case container.FormatWebM:
		return kind + "/webm"
	case container.FormatMatroska:
		return kind + "/x-matroska"
	case container.FormatMP4:
		return kind + "/mp4"
	}
	return "application/octet-stream"
}
