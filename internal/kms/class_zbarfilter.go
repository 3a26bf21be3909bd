package kms

import (
	"github.com/gorento/gorento/internal/media/filter"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

var classZBarFilter = &Class{
	Name: "ZBarFilter", Parent: classFilter, Module: "filters",
	Constructor: constructor(func(cc *createCall, in inPipeline) error {
		return newFilterObject(cc, in.Pipeline, filter.NewZBar)
	}),
	Events: []EventSpec{
		raises("CodeFound", func(e filter.CodeFound) wire.Event { return &wire.CodeFound{CodeType: e.CodeType, Value: e.Value} }),
	},
}

func init() { register(classZBarFilter) }
