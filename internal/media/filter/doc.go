// Package filter implements Kurento's filters on the processing back end
// (package procelem): FaceOverlayFilter, ImageOverlayFilter,
// GStreamerFilter, ZBarFilter and ChromaFilter. Each is a procelem.Element
// with the processing kind and the settings of its class; the media it
// does not filter passes through, as in KMS.
package filter
