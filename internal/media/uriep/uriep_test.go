package uriep

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestResolve(t *testing.T) {
	for _, tc := range []struct{ in, def, want string }{
		{"file:///tmp/a.webm", "", "file:///tmp/a.webm"},
		{"file:%2F%2F%2Ftmp%2Fa.webm", "", "file:///tmp/a.webm"},
		{"a.webm", "", "file:///var/lib/kurento//a.webm"},
		{"rec/a.webm", "file:///data", "file:///data/rec/a.webm"},
		{"http://u:p@127.0.0.1:8080/up", "", "http://u:p@127.0.0.1:8080/up"},
		{"rtsp://127.0.0.1/cam", "", "rtsp://127.0.0.1/cam"},
		{"1abc:x", "file:///d", "file:///d/1abc:x"},
		{":x", "file:///d", "file:///d/:x"},
	} {
		if got := Resolve(tc.in, tc.def); got != tc.want {
			t.Errorf("Resolve(%q, %q) = %q, want %q", tc.in, tc.def, got, tc.want)
		}
	}
}

func TestCheckPath(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "media")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc", filepath.Join(root, "escape")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		uri string
		ok  bool
	}{
		{"file://" + root + "/a.webm", true},
		{"file://" + root + "/new/dir/a.webm", true},
		{"file://" + root + "/../a.webm", false},
		{"file://" + dir + "/media2/a.webm", false},
		{"file://" + root + "/escape/passwd", false},
		{"http://127.0.0.1/x", true},
	} {
		err := CheckPath(tc.uri, []string{root})
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrPathNotAllowed)) {
			t.Errorf("CheckPath(%s) = %v, want ok=%v", tc.uri, err, tc.ok)
		}
	}
	if err := CheckPath("file:///etc/passwd", nil); err != nil {
		t.Errorf("no roots: %v", err)
	}
}
