package kms

import recording "github.com/gorento/gorento/internal/media/recorder"

// recorderTranscoders returns the transcoder factory of a recorder in o's
// pipeline: none until the processing back end is wired in.
func (s *Server) recorderTranscoders(o *Object) recording.TranscoderFactory { return nil }
