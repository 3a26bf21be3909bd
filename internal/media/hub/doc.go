// Package hub implements Kurento's hubs: objects that connect several
// elements through HubPorts. A Hub is not an element (KMS's Hub is a
// MediaObject); each Port is, created with its hub in the hub's pipeline:
// what reaches a port's sink pads goes into the hub, what the hub makes
// for the port leaves from its source pads.
//
//	Dispatcher           routes a source port's media to sink ports (connect)
//	DispatcherOneToMany  routes one source port's media to every port (setSource)
//	Composite            a grid of every port's video, and per port the mix
//	                     of every other port's audio (a worker's compositor)
//	AlphaBlending        ports' video stacked on a master's (a worker's compositor)
//	Mixer                per port, the mix of the audio of the ports connected
//	                     to it; video routed as a Dispatcher does
//
// The dispatchers decode nothing: a port forwards packets as a PassThrough
// does (no copy, no allocation), and asks the new source for a keyframe
// when its route changes. The mixing hubs decode and encode in one element
// of the pipeline's gorento-worker (package process), whose inputs and
// outputs come and go with the ports.
package hub
