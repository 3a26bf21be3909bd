package kms

import (
	"encoding/json"
	"runtime"
	"sort"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// compatVersion is the KMS version whose protocol Gorento speaks; clients
// compare module versions against their own (kurento-client 7.x).
const compatVersion = "7.3.0"

var classServerManager = &Class{
	Name:     "ServerManager",
	Parent:   classMediaObject,
	Abstract: true,
	Module:   "core",
	Events:   []string{"ObjectCreated", "ObjectDestroyed"},
	Props: []*Property{
		{Name: "info", Type: "ServerInfo", ReadOnly: true, Get: func(c *call) (any, error) { return c.server.serverInfo(), nil }},
		{Name: "pipelines", Type: "MediaPipeline[]", ReadOnly: true, Get: func(c *call) (any, error) {
			ids := []string{}
			for _, p := range c.server.pipelines() {
				ids = append(ids, p.id)
			}
			return ids, nil
		}},
		{Name: "sessions", Type: "String[]", ReadOnly: true, Get: func(c *call) (any, error) {
			c.server.mu.Lock()
			ids := make([]string, 0, len(c.server.sessions))
			for id := range c.server.sessions {
				ids = append(ids, id)
			}
			c.server.mu.Unlock()
			sort.Strings(ids)
			return ids, nil
		}},
		{Name: "metadata", Type: "String", ReadOnly: true, Get: func(c *call) (any, error) {
			b, _ := json.Marshal(map[string]any{"server": "gorento", "version": c.server.cfg.Version, "serverId": c.server.serverID})
			return string(b), nil
		}},
	},
	Methods: []*Method{
		{Name: "getKmd", Params: []ParamSpec{{"moduleName", "String", true}}, Fn: func(c *call, p *params) (any, error) {
			name, err := p.String("moduleName")
			if err != nil {
				return nil, err
			}
			kmd, ok := c.server.kmd(name)
			if !ok {
				return nil, kurentoError(wire.ErrServerManagerKmdNotFound, "Module '%s' not found", name)
			}
			return kmd, nil
		}},
		{Name: "getCpuCount", Fn: func(*call, *params) (any, error) { return runtime.NumCPU(), nil }},
		{Name: "getUsedCpu", Params: []ParamSpec{{"interval", "int", false}}, Fn: func(c *call, p *params) (any, error) {
			ms, err := p.OptInt("interval", 1000)
			if err != nil {
				return nil, err
			}
			if ms < 0 || ms > 60000 {
				return nil, kurentoError(wire.ErrIllegalParam, "'interval' must be between 0 and 60000 ms")
			}
			return usedCPU(time.Duration(ms) * time.Millisecond)
		}},
		{Name: "getUsedMemory", Fn: func(*call, *params) (any, error) { return usedMemoryKiB() }},
	},
}

// serverInfo lists the modules with exactly the factories create can make.
func (s *Server) serverInfo() wire.ServerInfo {
	gen := "gorento " + s.cfg.Version
	info := wire.ServerInfo{Complex: wire.NewComplex("ServerInfo"), Version: compatVersion, Type: "KMS", Capabilities: []string{"transactions"}}
	for _, m := range []string{"core", "elements", "filters"} {
		info.Modules = append(info.Modules, wire.ModuleInfo{
			Complex: wire.NewComplex("ModuleInfo"), Version: compatVersion, Name: m,
			GenerationTime: gen, Factories: s.classes.factories(m),
		})
	}
	return info
}

var classMediaPipeline = &Class{
	Name:   "MediaPipeline",
	Parent: classMediaObject,
	Module: "core",
	Props: []*Property{
		{Name: "latencyStats", Type: "boolean",
			Get: func(c *call) (any, error) { return c.obj.impl.(*media.Pipeline).LatencyStats(), nil },
			Set: func(c *call, p *params) error {
				v, err := p.Bool("latencyStats")
				if err == nil {
					c.obj.impl.(*media.Pipeline).SetLatencyStats(v)
				}
				return err
			}},
	},
	Methods: dotMethods,
	New: func(cc *createCall) error {
		o := cc.newObject(nil)
		o.impl = media.NewPipeline()
		return nil
	},
}
