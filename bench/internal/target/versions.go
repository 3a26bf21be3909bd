package target

import (
	"os/exec"
	"runtime/debug"
	"strings"
)

// Versions reports the versions of the servers and of Pion in the generator.
func Versions(env Env) map[string]string {
	v := map[string]string{}
	first := func(name string, args ...string) string {
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil && len(out) == 0 {
			return ""
		}
		s := strings.TrimSpace(string(out))
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[:i]
		}
		return s
	}
	if env.GorentoBin != "" {
		v["gorento"] = first(env.GorentoBin, "version")
	}
	if p, err := exec.LookPath("janus"); err == nil {
		v["janus"] = first(p, "--version")
	}
	if env.LiveKitBin != "" {
		v["livekit"] = first(env.LiveKitBin, "--version")
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/pion/webrtc/v4" {
				v["pion (generator, floor)"] = d.Version
			}
		}
	}
	return v
}
