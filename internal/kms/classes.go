package kms

// defaultClasses is every class Gorento implements, parents before children.
var defaultClasses = newClassRegistry(
	classMediaObject,
	classServerManager,
	classMediaPipeline,
	classMediaElement,
	classPassThrough,
	classEndpoint,
	classSessionEndpoint,
	classSdpEndpoint,
	classBaseRtpEndpoint,
	classWebRtcEndpoint,
)
