package kms

import (
	"encoding/json"
	"runtime"
	"time"

	"github.com/gorento/gorento/pkg/kurento/wire"
)

// compatVersion is the KMS version whose protocol Gorento speaks; clients
// compare module versions against their own (kurento-client 7.x).
const compatVersion = "7.3.0"

// classServerManager is the class of the one manager_ServerManager object.
var classServerManager = &Class{
	Name:     "ServerManager",
	Parent:   classMediaObject,
	Abstract: true,
	Module:   "core",
	Events:   []EventSpec{declares("ObjectCreated"), declares("ObjectDestroyed")},
	Props: []*Property{
		readOnly("info", "ServerInfo", func(c *call) (any, error) { return c.server.serverInfo(), nil }),
		// Both list what the caller's credential sees (scope.go).
		readOnly("pipelines", "MediaPipeline[]", func(c *call) (any, error) { return c.conn.pipelineIDs(), nil }),
		readOnly("sessions", "String[]", func(c *call) (any, error) { return c.conn.sessionIDs(), nil }),
		readOnly("metadata", "String", func(c *call) (any, error) {
			b, _ := json.Marshal(map[string]any{"server": "gorento", "version": c.server.cfg.Version, "serverId": c.server.serverID})
			return string(b), nil
		}),
	},
	Methods: []*Method{
		method("getKmd", "String", func(c *call, in struct {
			Module string `kurento:"moduleName"`
		}) (any, error) {
			kmd, ok := c.server.kmd(in.Module)
			if !ok {
				return nil, kurentoError(wire.ErrServerManagerKmdNotFound, "Module '%s' not found", in.Module)
			}
			return kmd, nil
		}),
		method("getCpuCount", "int", func(*call, none) (any, error) { return runtime.NumCPU(), nil }),
		// Kurento requires the interval; Gorento defaults it to a second.
		method("getUsedCpu", "float", func(c *call, in struct {
			Interval int `kurento:"interval,default=1000"`
		}) (any, error) {
			if in.Interval < 0 || in.Interval > 60000 {
				return nil, kurentoError(wire.ErrIllegalParam, "'interval' must be between 0 and 60000 ms")
			}
			return usedCPU(time.Duration(in.Interval) * time.Millisecond)
		}),
		method("getUsedMemory", "int64", func(*call, none) (any, error) { return usedMemoryKiB() }),
	},
}

// serverInfo lists the modules with exactly the factories create can make.
func (s *Server) serverInfo() wire.ServerInfo {
	gen := "gorento " + s.cfg.Version
	info := wire.ServerInfo{Complex: wire.NewComplex("ServerInfo"), Version: compatVersion, Type: "KMS", Capabilities: []string{"transactions"}}
	for _, m := range modules {
		info.Modules = append(info.Modules, wire.ModuleInfo{
			Complex: wire.NewComplex("ModuleInfo"), Version: compatVersion, Name: m,
			GenerationTime: gen, Factories: s.classes.factories(m),
		})
	}
	return info
}

func init() { register(classServerManager) }
