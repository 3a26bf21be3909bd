package recorder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

var dialer = &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}

// upload streams a recording to an HTTP server as KMS does (its
// curlhttpsink): one POST whose body is sent with chunked transfer
// encoding while the recording goes on, user and password of the URI as
// Basic authentication. Writes never wait for the network: fragments queue
// (up to Config.UploadBuffer bytes) for a goroutine that feeds the request
// body; a server that cannot keep up fails the recording instead of
// stalling it. A second goroutine waits for the server's answer.
type upload struct {
	limit   int
	timeout time.Duration
	cancel  context.CancelFunc
	pr      *io.PipeReader
	pw      *io.PipeWriter
	onFail  func(error) // called once, from the upload's goroutines, on a failure they find

	mu      sync.Mutex // guards the fields below
	queue   [][]byte
	queued  int
	closing bool
	err     error
	wake    chan struct{}

	pumped   chan struct{} // the body is finished
	answered chan struct{} // the server answered (or the request failed)
	status   int
	sent     int64
}

func startUpload(u *url.URL, contentType string, cfg *Config, onFail func(error)) (*upload, error) {
	target := *u
	target.User = nil
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, cfg.HTTPMethod, target.String(), pr)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("%w: %v", ErrOpen, err)
	}
	req.ContentLength = -1 // chunked
	req.Header.Set("Content-Type", contentType)
	if u.User != nil {
		pass, _ := u.User.Password()
		req.SetBasicAuth(u.User.Username(), pass)
	}
	up := &upload{limit: cfg.UploadBuffer, timeout: cfg.UploadTimeout, cancel: cancel, pr: pr, pw: pw, onFail: onFail,
		wake: make(chan struct{}, 1), pumped: make(chan struct{}), answered: make(chan struct{})}
	go up.request(cfg.HTTPClient, req)
	go up.pump()
	return up, nil
}

// request sends the request and waits for the answer.
func (up *upload) request(c *http.Client, req *http.Request) {
	defer close(up.answered)
	resp, err := c.Do(req)
	if err != nil {
		up.fail(fmt.Errorf("%w: upload to %s: %v", ErrOpen, req.URL.Redacted(), err))
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	up.mu.Lock()
	up.status = resp.StatusCode
	up.mu.Unlock()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		up.fail(fmt.Errorf("%w: upload to %s: server answered %s", ErrOpen, req.URL.Redacted(), resp.Status))
	}
}

// pump writes queued fragments into the request body.
func (up *upload) pump() {
	defer close(up.pumped)
	for {
		up.mu.Lock()
		for len(up.queue) == 0 && !up.closing && up.err == nil {
			up.mu.Unlock()
			<-up.wake
			up.mu.Lock()
		}
		if up.err != nil || (len(up.queue) == 0 && up.closing) {
			err := up.err
			up.mu.Unlock()
			if err != nil {
				_ = up.pw.CloseWithError(err)
			} else {
				_ = up.pw.Close()
			}
			return
		}
		b := up.queue[0]
		up.queue[0] = nil
		up.queue = up.queue[1:]
		up.mu.Unlock()
		n, err := up.pw.Write(b)
		up.mu.Lock()
		up.queued -= len(b)
		up.sent += int64(n)
		up.mu.Unlock()
		if err != nil {
			up.fail(fmt.Errorf("%w: upload: %v", ErrWrite, err))
		}
	}
}

// fail records the first error and, when it comes from the upload's own
// goroutines, tells the recorder (a failing Write returns the error to the
// recorder, which holds its lock then).
func (up *upload) fail(err error) {
	if up.setErr(err) && up.onFail != nil {
		up.onFail(err)
	}
}

// setErr records the first error; it reports whether err was the first.
func (up *upload) setErr(err error) bool {
	up.mu.Lock()
	first := up.err == nil
	if first {
		up.err = err
	}
	up.mu.Unlock()
	up.poke()
	return first
}

func (up *upload) poke() {
	select {
	case up.wake <- struct{}{}:
	default:
	}
}

// Write queues a copy of b.
func (up *upload) Write(b []byte) (int, error) {
	up.mu.Lock()
	if up.err != nil {
		err := up.err
		up.mu.Unlock()
		return 0, err
	}
	if up.queued+len(b) > up.limit {
		up.mu.Unlock()
		err := fmt.Errorf("%w: upload server too slow: %d bytes waiting (limit %d)", ErrWrite, up.queued, up.limit)
		up.setErr(err)
		return 0, err
	}
	up.queue = append(up.queue, append([]byte(nil), b...))
	up.queued += len(b)
	up.mu.Unlock()
	up.poke()
	return len(b), nil
}

// Close finishes the body and waits (up to the upload timeout) for the
// server's answer; then it cancels the request.
func (up *upload) Close() error {
	up.mu.Lock()
	up.closing = true
	up.mu.Unlock()
	up.poke()
	timer := time.NewTimer(up.timeout)
	defer timer.Stop()
	select {
	case <-up.answered:
	case <-timer.C:
		up.setErr(fmt.Errorf("%w: upload: no answer within %v", ErrWrite, up.timeout))
	}
	up.cancel()
	<-up.answered
	_ = up.pr.CloseWithError(errors.New("recorder: upload finished")) // unblocks a body write nobody reads
	<-up.pumped
	up.mu.Lock()
	defer up.mu.Unlock()
	return up.err
}

// abort ends the upload at once (release while the server is stuck).
func (up *upload) abort() {
	up.setErr(errors.New("recorder: upload aborted"))
	up.cancel()
	_ = up.pr.CloseWithError(errors.New("recorder: upload aborted"))
}
