package media

import "testing"

// FuzzCodecMatch: codec matching never panics and is symmetric.
func FuzzCodecMatch(f *testing.F) {
	f.Add("packetization-mode=1;profile-level-id=42e01f", "profile-level-id=42e034;packetization-mode=1")
	f.Add("profile-level-id=zz", "")
	f.Fuzz(func(t *testing.T, a, b string) {
		ca := &Codec{MimeType: "video/H264", ClockRate: 90000, Fmtp: a}
		cb := &Codec{MimeType: "video/H264", ClockRate: 90000, Fmtp: b}
		if ca.Matches(cb) != cb.Matches(ca) {
			t.Fatalf("asymmetric match for %q and %q", a, b)
		}
	})
}
