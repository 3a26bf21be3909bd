package kms

import "github.com/gorento/gorento/internal/media/workerleg"

// workerLegs returns the transcoder factory of recorders and players in
// o's pipeline: legs in the pipeline's worker process (nil without a
// processing back end: media that needs converting is then an Error).
func (s *Server) workerLegs(o *Object) workerleg.Factory {
	if s.cfg.Processing == nil {
		return nil
	}
	return workerleg.Worker(s.cfg.Processing, o.pipeline.id)
}
