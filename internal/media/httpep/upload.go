package httpep

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"time"
)

// upload is one POST's body as the player's source reads it. Close, called
// by the source (end, stop, release), makes a blocked Read return (a read
// deadline of now) and waits for it, so the handler never returns while
// the body is being read.
type upload struct {
	body    io.ReadCloser
	rc      *http.ResponseController
	timeout time.Duration

	readMu sync.Mutex // held by Read; Close waits for it
	mu     sync.Mutex // guards the fields below
	closed bool
	eof    bool  // the body was read to its end
	abort  bool  // closed before the end: the connection cannot serve another request
	err    error // what ended the upload other than its end (too large, a read error)

	done chan struct{} // closed by Close
	once sync.Once
}

func newUpload(w http.ResponseWriter, r *http.Request, limit int64, timeout time.Duration) *upload {
	return &upload{body: http.MaxBytesReader(w, r.Body, limit), rc: http.NewResponseController(w), timeout: timeout,
		done: make(chan struct{})}
}

// Read reads the body. A client that goes away or stalls past the read
// timeout ends the upload as its end (io.EOF): what arrived was played.
func (u *upload) Read(p []byte) (int, error) {
	u.readMu.Lock()
	defer u.readMu.Unlock()
	u.mu.Lock()
	closed := u.closed
	u.mu.Unlock()
	if closed {
		return 0, io.EOF
	}
	_ = u.rc.SetReadDeadline(time.Now().Add(u.timeout))
	n, err := u.body.Read(p)
	if errors.Is(err, io.EOF) {
		// No deadline left behind: net/http now reads the connection in
		// the background, and a read error there would cancel the
		// context of the connection's next request.
		_ = u.rc.SetReadDeadline(time.Time{})
		u.mu.Lock()
		u.eof = true
		u.mu.Unlock()
	}
	if err != nil && !errors.Is(err, io.EOF) {
		u.fail(err)
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return n, ErrUploadTooLarge
		}
		return n, io.EOF
	}
	return n, err
}

// Close ends the upload; idempotent.
func (u *upload) Close() error {
	u.once.Do(func() {
		u.mu.Lock()
		u.closed = true
		u.mu.Unlock()
		_ = u.rc.SetReadDeadline(time.Now())  // a blocked Read returns
		u.readMu.Lock()                       // and is over
		_ = u.rc.SetReadDeadline(time.Time{}) // no stale deadline for the connection's next request
		u.readMu.Unlock()
		close(u.done)
	})
	return nil
}

// fail records why the upload cannot be played (its media).
func (u *upload) fail(err error) {
	u.mu.Lock()
	if u.err == nil {
		u.err = err
	}
	u.mu.Unlock()
}

// aborted reports an upload closed before its end.
func (u *upload) aborted() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.abort
}

// failure is what ended the upload early (nil: its end, or a stop).
func (u *upload) failure() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.err
}
