// Package web embeds Gorento's demo pages and browser libraries.
// web/static/vendor (the kurento-client and kurento-utils bundles) is built by
// `./dev run` / `./dev test` (npm, js/build.mjs) before the Go build.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var files embed.FS

// Static is the tree of demo pages, scripts and styles.
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// Handler serves the static tree. Pages that need the vendor bundles get a
// clear error when they were not built.
func Handler() http.Handler {
	root := Static()
	files := http.FileServer(http.FS(root))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/vendor/") {
			if _, err := fs.Stat(root, strings.TrimPrefix(r.URL.Path, "/")); err != nil {
				w.Header().Set("Content-Type", "text/javascript")
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte(`document.body && document.body.insertAdjacentHTML("afterbegin",` +
					`"<p style='background:#fdd;padding:1em'>The browser bundles were not built: run <code>./dev run</code>.</p>");`))
				return
			}
		}
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
