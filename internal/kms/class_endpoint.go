package kms

import (
	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

var classEndpoint = register(&Class{Name: "Endpoint", Parent: classMediaElement, Abstract: true, Module: "core"})

var classSessionEndpoint = register(&Class{Name: "SessionEndpoint", Parent: classEndpoint, Abstract: true, Module: "core",
	Events: []EventSpec{
		raises("MediaSessionStarted", func(media.MediaSessionStarted) wire.Event { return &wire.Plain{} }),
		raises("MediaSessionTerminated", func(media.MediaSessionTerminated) wire.Event { return &wire.Plain{} }),
	}})
