package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/gorento/gorento/bench/internal/media"
)

// LiveKitVersion is the LiveKit server the comparison installs.
const LiveKitVersion = "v1.13.5"

// prepare does, outside the namespace (it may need the package registries),
// everything the run needs: builds, installs, media. It returns extra
// flags that pin the results for the re-executed run, and notes on servers
// that could not be prepared.
func prepare(c *Config, root string) (extra []string, notes map[string]string) {
	notes = map[string]string{}
	work := filepath.Join(root, ".build", "bench")
	_ = os.MkdirAll(filepath.Join(work, "bin"), 0o755)
	if c.GorentoBin == "" && (c.Servers.has("gorento") || c.Servers.has("gorento-room")) {
		bin := filepath.Join(work, "bin", "gorento")
		if err := run(root, nil, "go", "build", "-o", bin, "./cmd/gorento"); err != nil {
			notes["gorento"] = "build failed: " + err.Error()
		} else {
			extra = append(extra, "-gorento", bin)
		}
	}
	if c.Media == "real" && (c.IVF == "" || c.OGG == "") {
		if _, err := exec.LookPath("ffmpeg"); err != nil && !c.NoInstall {
			aptInstall("ffmpeg")
		}
		ivf, ogg, err := media.Generate(filepath.Join(work, "media"))
		if err != nil {
			fmt.Fprintf(os.Stderr, "gorento-bench: real media unavailable (%v); using synthetic media\n", err)
			extra = append(extra, "-media", "synthetic")
		} else {
			extra = append(extra, "-ivf", ivf, "-ogg", ogg)
		}
	}
	if c.Servers.has("janus") {
		if _, err := exec.LookPath("janus"); err != nil && !c.NoInstall {
			aptInstall("janus")
		}
		if _, err := exec.LookPath("janus"); err != nil {
			notes["janus"] = "janus not installed (apt-get install janus failed or -no-install)"
		}
	}
	if c.Servers.has("livekit") && c.LiveKit == "" {
		bin := filepath.Join(work, "bin", "livekit-server")
		if _, err := os.Stat(bin); err != nil && !c.NoInstall {
			gobin := filepath.Join(work, "lkbin")
			if err := run(root, []string{"GOBIN=" + gobin}, "go", "install", "github.com/livekit/livekit-server/cmd/server@"+LiveKitVersion); err == nil {
				_ = os.Rename(filepath.Join(gobin, "server"), bin)
			}
		}
		if _, err := os.Stat(bin); err != nil {
			notes["livekit"] = "livekit-server " + LiveKitVersion + " not installed (go install failed or -no-install)"
		} else {
			extra = append(extra, "-livekit-server", bin)
		}
	}
	return extra, notes
}

// aptInstall installs a Debian package: one apt at a time, retried once
// after an apt-get update.
func aptInstall(pkg string) {
	if os.Geteuid() != 0 {
		fmt.Fprintf(os.Stderr, "gorento-bench: %s is missing and apt-get needs root\n", pkg)
		return
	}
	env := []string{"DEBIAN_FRONTEND=noninteractive"}
	for try := 0; try < 2; try++ {
		if try == 1 {
			_ = run("/", env, "apt-get", "update")
		}
		if run("/", env, "apt-get", "install", "-y", "--no-install-recommends", pkg) == nil {
			return
		}
	}
}

// shimSource is the LD_PRELOAD shim that lets Janus use 127.0.0.2 on a
// veth: libnice sets IP_UNICAST_IF on its sockets, and the kernel refuses
// to send a 127.x source through a non-loopback device with it set. The
// shim turns that one setsockopt into a no-op.
const shimSource = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>
#ifndef IP_UNICAST_IF
#define IP_UNICAST_IF 50
#endif
typedef int (*setsockopt_fn)(int, int, int, const void *, socklen_t);
int setsockopt(int fd, int level, int name, const void *val, socklen_t len) {
	static setsockopt_fn real;
	if (level == IPPROTO_IP && name == IP_UNICAST_IF) return 0;
	if (!real) real = (setsockopt_fn)dlsym(RTLD_NEXT, "setsockopt");
	return real(fd, level, name, val, len);
}
`

// buildShim compiles the shim with gcc into dir.
func buildShim(dir string) (string, error) {
	src, so := filepath.Join(dir, "nounicastif.c"), filepath.Join(dir, "nounicastif.so")
	if err := os.WriteFile(src, []byte(shimSource), 0o644); err != nil {
		return "", err
	}
	out, err := exec.Command("gcc", "-shared", "-fPIC", "-O2", "-o", so, src, "-ldl").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("gcc: %v: %s", err, out)
	}
	return so, nil
}

// janusVethUp adds the veth pair with 127.0.0.2 that Janus gathers on
// (Janus skips loopback interfaces). Only inside the private namespace.
func janusVethUp() error {
	if exec.Command("ip", "link", "show", "gbj0").Run() == nil {
		return nil
	}
	for _, args := range [][]string{
		{"link", "add", "gbj0", "type", "veth", "peer", "name", "gbj1"},
		{"addr", "add", "127.0.0.2/32", "dev", "gbj0"},
		{"link", "set", "gbj1", "up"},
		{"link", "set", "gbj0", "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %v: %v: %s", args, err, out)
		}
	}
	return nil
}
