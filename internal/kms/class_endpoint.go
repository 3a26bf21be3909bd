package kms

import (
	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

var classEndpoint = &Class{Name: "Endpoint", Parent: classMediaElement, Abstract: true, Module: "core"}

var classSessionEndpoint = &Class{Name: "SessionEndpoint", Parent: classEndpoint, Abstract: true, Module: "core",
	Events: []EventSpec{
		raises("MediaSessionStarted", func(media.MediaSessionStarted) wire.Event { return &wire.Plain{} }),
		raises("MediaSessionTerminated", func(media.MediaSessionTerminated) wire.Event { return &wire.Plain{} }),
	}}

func init() { register(classEndpoint, classSessionEndpoint) }
