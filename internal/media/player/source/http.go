package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxForwardSkip is how far ahead a seek is served by reading on rather
// than by a new range request.
const maxForwardSkip = 512 << 10

// httpFile reads an HTTP resource as a file: streamed with one GET, and
// with a new ranged GET when a seek moves away (servers answering
// Accept-Ranges: bytes). Seek only records the position; the request
// happens on the next Read. Read and Seek come from one goroutine (the
// demuxer's); Close may come from another while a Read blocks.
type httpFile struct {
	ctx    context.Context
	cancel context.CancelFunc
	client *http.Client
	url    string

	size   int64 // -1: unknown
	ranges bool
	owned  bool // the client is ours: its idle connections close with us

	// mu guards body's changes and closed against Close; the reading
	// goroutine, the only one that changes body, reads it without.
	mu      sync.Mutex
	closed  bool
	body    io.ReadCloser
	bodyPos int64 // offset of the next byte body yields
	pos     int64
}

func defaultHTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: timeout}).DialContext,
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
			MaxIdleConnsPerHost:   2,
		},
	}
}

func openHTTP(ctx context.Context, u *url.URL, opts Options) (Source, error) {
	client, owned := opts.HTTPClient, false
	if client == nil {
		client, owned = defaultHTTPClient(opts.Timeout), true
	}
	fctx, cancel := context.WithCancel(context.Background())
	f := &httpFile{ctx: fctx, cancel: cancel, client: client, url: u.String(), size: -1, owned: owned}
	stop := context.AfterFunc(ctx, cancel) // opening (up to the demuxer's headers) is bounded by ctx
	defer stop()
	resp, err := f.get(0) //nolint:bodyclose // the body is the file's stream, closed by Close or the next seek
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	f.body, f.bodyPos = resp.Body, 0
	f.ranges = strings.Contains(strings.ToLower(resp.Header.Get("Accept-Ranges")), "bytes")
	if resp.ContentLength >= 0 {
		f.size = resp.ContentLength
	}
	if cr := resp.Header.Get("Content-Range"); cr != "" { // "bytes 0-99/1234"
		if i := strings.LastIndexByte(cr, '/'); i >= 0 {
			if n, err := strconv.ParseInt(cr[i+1:], 10, 64); err == nil {
				f.size, f.ranges = n, true
			}
		}
	}
	head, err := readHead(f, 16)
	if err != nil {
		_ = f.Close()
		return nil, uriError("read %s: %v", redact(u), err)
	}
	format, err := sniff(head)
	if err != nil {
		_ = f.Close()
		return nil, mediaError(err)
	}
	var r io.Reader = f
	if f.ranges && f.size > 0 {
		f.pos = 0 // the demuxer reads from the start again: one more request
	} else { // no range support: stream once, the sniffed bytes first
		r = io.MultiReader(bytes.NewReader(head), onlyRead{f})
	}
	s, err := demux(format, r, f, opts, false)
	if err != nil && ctx.Err() != nil {
		return nil, uriError("%s: %v", redact(u), ctx.Err())
	}
	return s, err
}

// onlyRead hides Seek so that demuxers see a stream.
type onlyRead struct{ f *httpFile }

func (o onlyRead) Read(p []byte) (int, error) { return o.f.Read(p) }

// get requests the resource from offset off.
func (f *httpFile) get(off int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(f.ctx, http.MethodGet, f.url, nil)
	if err != nil {
		return nil, uriError("%v", err)
	}
	if off > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", off))
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, uriError("GET: %v", err)
	}
	switch {
	case off == 0 && resp.StatusCode == http.StatusOK:
	case off > 0 && resp.StatusCode == http.StatusPartialContent:
	case off > 0 && resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		resp.Body.Close()
		resp.Body = http.NoBody
	default:
		resp.Body.Close()
		return nil, uriError("GET %s: %s", redactString(f.url), resp.Status)
	}
	return resp, nil
}

func (f *httpFile) Read(p []byte) (int, error) {
	if f.size >= 0 && f.pos >= f.size {
		return 0, io.EOF
	}
	if f.body == nil || f.pos != f.bodyPos {
		if err := f.reposition(); err != nil {
			return 0, err
		}
	}
	n, err := f.body.Read(p)
	f.pos += int64(n)
	f.bodyPos += int64(n)
	return n, err
}

// reposition makes the body deliver from pos.
func (f *httpFile) reposition() error {
	if f.body != nil && f.pos > f.bodyPos && f.pos-f.bodyPos <= maxForwardSkip {
		n, err := io.CopyN(io.Discard, f.body, f.pos-f.bodyPos)
		f.bodyPos += n
		if err == nil {
			return nil
		}
	}
	if !f.ranges {
		return errors.New("source: HTTP server does not support range requests")
	}
	f.mu.Lock()
	old := f.body
	f.body = nil
	f.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	resp, err := f.get(f.pos) // the body is the file's stream, closed by Close or the next seek
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		_ = resp.Body.Close()
		return errors.New("source: closed")
	}
	f.body, f.bodyPos = resp.Body, f.pos
	return nil
}

func (f *httpFile) Seek(off int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = off
	case io.SeekCurrent:
		abs = f.pos + off
	case io.SeekEnd:
		if f.size < 0 {
			return 0, errors.New("source: HTTP resource of unknown size")
		}
		abs = f.size + off
	default:
		return 0, errors.New("source: bad whence")
	}
	if abs < 0 {
		return 0, errors.New("source: negative position")
	}
	f.pos = abs
	return abs, nil
}

// Close ends the file; a Read blocked on the body returns (a player's
// stop closes its source from another goroutine than the one reading).
func (f *httpFile) Close() error {
	f.cancel()
	f.mu.Lock()
	f.closed = true
	body := f.body
	f.mu.Unlock()
	if body != nil {
		_ = body.Close()
	}
	if f.owned {
		f.client.CloseIdleConnections()
	}
	return nil
}

func redact(u *url.URL) string { return u.Redacted() }

func redactString(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "<url>"
	}
	return u.Redacted()
}
