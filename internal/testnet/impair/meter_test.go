package impair

import "testing"

func TestParseSent(t *testing.T) {
	for _, tc := range []struct {
		out     string
		want    uint64
		wantErr bool
	}{
		{"class htb 1:10 root leaf 10: prio 0 rate 600Kbit ceil 600Kbit burst 3200b cburst 3200b \n" +
			" Sent 1234567 bytes 1890 pkt (dropped 12, overlimits 40 requeues 0) \n backlog 0b 0p requeues 0\n", 1234567, false},
		{" Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0)\n", 0, false},
		{"", 0, true},
		{"class htb 1:10 root prio 0 rate 600Kbit\n", 0, true},
		{" Sent 99999999999999999999999 bytes 1 pkt\n", 0, true},
	} {
		got, err := parseSent([]byte(tc.out))
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("parseSent(%q) = %d, %v; want %d (error %v)", tc.out, got, err, tc.want, tc.wantErr)
		}
	}
}
