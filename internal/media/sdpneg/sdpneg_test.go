package sdpneg

import (
	"errors"
	"testing"
)

func TestStateChecks(t *testing.T) {
	tests := []struct {
		state       State
		offer, answ error // kinds expected, nil: allowed
	}{
		{Idle, nil, ErrNoOfferGenerated},
		{OfferGenerated, ErrAlreadyNegotiated, nil},
		{Done, ErrAlreadyNegotiated, ErrAnswerProcessed},
	}
	for _, tt := range tests {
		check := func(what string, got, want error) {
			t.Helper()
			if want == nil && got != nil || want != nil && !errors.Is(got, want) {
				t.Errorf("state %d %s: got %v, want %v", tt.state, what, got, want)
			}
		}
		check("offer", tt.state.CheckOffer(), tt.offer)
		check("answer", tt.state.CheckAnswer(), tt.answ)
	}
}

func TestErrorf(t *testing.T) {
	err := error(Errorf(ErrProcessOffer, "m-line %d: %s", 1, "no codec"))
	if !errors.Is(err, ErrProcessOffer) || err.Error() != "m-line 1: no codec" {
		t.Fatalf("got %v", err)
	}
	var e *Error
	if !errors.As(err, &e) || !errors.Is(e.Kind, ErrProcessOffer) {
		t.Fatalf("errors.As: %+v", e)
	}
}
