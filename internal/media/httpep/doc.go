// Package httpep is Kurento's HttpPostEndpoint: a WebM/Matroska or MP4
// file POSTed to the endpoint's URL (URL) becomes the element's media, as
// it arrives, through the PlayerEndpoint's source pipeline (package
// player, with the request body as its source): tracks browsers decode
// are sent as they are, others go through a worker leg. When the upload
// ends the endpoint reports EndOfStream (and ends the stream downstream).
//
// The URLs are served by one HTTP server per Engine (KMS: port 9091),
// started with the first endpoint. Each endpoint's path holds 128 random
// bits, so a URL cannot be guessed. One upload at a time per endpoint
// (another gets 409); after an upload ends, a new one is taken for the
// endpoint's disconnection timeout, after which the URL is removed (404)
// and the endpoint reports MediaSessionTerminated.
package httpep
