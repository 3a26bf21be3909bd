package webrtcep

import (
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
)

func TestReadErrors(t *testing.T) {
	tests := []struct {
		err   error
		fatal bool
	}{
		{io.EOF, true},
		{io.ErrClosedPipe, true},
		{fmt.Errorf("srtp: %w", net.ErrClosed), true},
		{errors.New("rtcp: packet too short"), false},
	}
	for _, tc := range tests {
		var e readErrors
		if got := e.fatal(tc.err); got != tc.fatal {
			t.Errorf("fatal(%v) = %v, want %v", tc.err, got, tc.fatal)
		}
	}
	var e readErrors
	for i := 1; i < maxReadErrors; i++ {
		if e.fatal(errors.New("bad packet")) {
			t.Fatalf("stopped after %d unparsable packets", i)
		}
	}
	if !e.fatal(errors.New("bad packet")) {
		t.Errorf("still reading after %d errors in a row", maxReadErrors)
	}
}
