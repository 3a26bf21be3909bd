package source

import (
	"io"
	"net/url"
	"os"
	"path/filepath"
)

// openFile opens file:///path (a relative file URI has been made absolute
// by the caller, as Kurento's defaultPath rule does).
func openFile(u *url.URL, opts Options) (Source, error) {
	path := u.Path
	if u.Host != "" && u.Host != "localhost" {
		return nil, uriError("file URI with host %q", u.Host)
	}
	if path == "" {
		path = u.Opaque
	}
	if !filepath.IsAbs(path) {
		return nil, uriError("file path %q is not absolute", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, uriError("%v", err)
	}
	if st, err := f.Stat(); err != nil || st.IsDir() {
		_ = f.Close()
		return nil, uriError("%s is not a readable file", path)
	}
	head, err := readHead(f, 16)
	if err != nil {
		_ = f.Close()
		return nil, uriError("read %s: %v", path, err)
	}
	format, err := sniff(head)
	if err != nil {
		_ = f.Close()
		return nil, mediaError(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		_ = f.Close()
		return nil, uriError("seek %s: %v", path, err)
	}
	return demux(format, f, f, opts, true)
}
