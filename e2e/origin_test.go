package e2e

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorento/gorento/internal/config"
)

// TestForeignOriginCannotOpenSockets: a page served from another origin
// (another 127.0.0.1 port) cannot open gorento's WebSockets — /kurento on
// the Kurento port and on the web port, /room — while gorento's own page
// can (the control).
func TestForeignOriginCannotOpenSockets(t *testing.T) {
	requireBrowser(t)
	a, addr := startGorento(t, func(c *config.Config) { c.Kurento.Listen = "127.0.0.1:0" })
	sockets := []string{"ws://" + a.Addr("kurento").String() + "/kurento", "ws://" + addr + "/kurento", "ws://" + addr + "/room"}
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<!doctype html><title>another site</title><p>a page of another origin"))
	}))
	defer foreign.Close()
	for _, c := range []struct {
		page string
		want map[string]string
	}{
		{foreign.URL + "/", map[string]string{sockets[0]: "refused", sockets[1]: "refused", sockets[2]: "refused"}},
		// gorento's own page: same origin for the web port's sockets only.
		{"http://" + addr + "/", map[string]string{sockets[0]: "refused", sockets[1]: "open", sockets[2]: "open"}},
	} {
		d := startDriver(t, "origin.mjs", append([]string{c.page}, sockets...)...)
		var res struct {
			Origin  string
			Results map[string]string
		}
		d.next(t, &res)
		for u, want := range c.want {
			if res.Results[u] != want {
				t.Errorf("page of %s, socket %s: %s, want %s", res.Origin, u, res.Results[u], want)
			}
		}
	}
	if refused := metricRefused(t, "http://"+addr+"/metrics"); refused < 4 {
		t.Errorf("refusals counted in metrics: %v, want at least 4", refused)
	}
}
