package gst

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"image"
	"image/draw"
	_ "image/gif" // decoders for overlay images
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	xdraw "golang.org/x/image/draw"
)

// imageStore fetches overlay and background images once per URI and keeps
// them as files gdkpixbufoverlay can load (and decoded, for chroma).
type imageStore struct {
	dir      string
	maxBytes int64
	timeout  time.Duration

	mu    sync.Mutex // guards cache, n
	cache map[string]*storedImage
	n     int
}

type storedImage struct {
	path   string
	width  int
	height int
	data   []byte
}

func newImageStore(dir string) *imageStore {
	return &imageStore{dir: dir, maxBytes: 8 << 20, timeout: 10 * time.Second, cache: map[string]*storedImage{}}
}

// get returns the image at uri (file://, http://, https://), fetching and
// checking it on first use.
func (s *imageStore) get(uri string, maxBytes int64, timeout time.Duration) (*storedImage, error) {
	s.mu.Lock()
	if img := s.cache[uri]; img != nil {
		s.mu.Unlock()
		return img, nil
	}
	s.mu.Unlock()
	if maxBytes <= 0 {
		maxBytes = s.maxBytes
	}
	if timeout <= 0 {
		timeout = s.timeout
	}
	data, err := fetch(uri, maxBytes, timeout)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", uri, err)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("image %s: not a PNG, JPEG or GIF image: %v", uri, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > 16<<20 {
		return nil, fmt.Errorf("image %s: unsupported size %dx%d", uri, cfg.Width, cfg.Height)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if img := s.cache[uri]; img != nil {
		return img, nil
	}
	s.n++
	path := filepath.Join(s.dir, fmt.Sprintf("image%d.%s", s.n, format))
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return nil, fmt.Errorf("image %s: keep a copy: %w", uri, err)
	}
	img := &storedImage{path: path, width: cfg.Width, height: cfg.Height, data: data}
	s.cache[uri] = img
	return img, nil
}

func fetch(uri string, maxBytes int64, timeout time.Duration) ([]byte, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, fmt.Errorf("bad URI: %v", err)
	}
	var r io.ReadCloser
	switch strings.ToLower(u.Scheme) {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("file URI with host %q", u.Host)
		}
		f, err := os.Open(u.Path)
		if err != nil {
			return nil, err
		}
		r = f
	case "http", "https":
		c := &http.Client{Timeout: timeout}
		if u.Scheme == "https" && isLoopbackHost(u.Hostname()) {
			// The server's own pages (the demos' images) on its self-signed
			// certificate: nothing leaves the machine, nothing to verify.
			c.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // loopback only
		}
		resp, err := c.Get(uri)
		if err != nil {
			return nil, fmt.Errorf("unreachable: %v", err)
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, fmt.Errorf("HTTP status %s", resp.Status)
		}
		r = resp.Body
	default:
		return nil, fmt.Errorf("unsupported scheme %q (file, http and https are)", u.Scheme)
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read: %v", err)
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxBytes)
	}
	return data, nil
}

// scaledRGBA decodes the image and scales it to w×h RGBA (chroma background).
func (img *storedImage) scaledRGBA(w, h int) (*image.RGBA, error) {
	src, _, err := image.Decode(bytes.NewReader(img.data))
	if err != nil {
		return nil, err
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	return dst, nil
}

// isLoopbackHost reports whether host names this machine's loopback.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
