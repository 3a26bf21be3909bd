package kms

import recording "github.com/gorento/gorento/internal/media/recorder"

// recorderTranscoders returns the transcoder factory of a recorder in o's
// pipeline: legs in the pipeline's worker process (nil without a
// processing back end: media the profile does not take is then an Error).
func (s *Server) recorderTranscoders(o *Object) recording.TranscoderFactory {
	if s.cfg.Processing == nil {
		return nil
	}
	return recording.WorkerTranscoders(s.cfg.Processing, o.pipeline.id)
}
