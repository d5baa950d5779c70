package emit

import (
	"bytes"
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestWriter(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	lines := "{\"a\":1}\n{\"b\":2}\n"
	if err := w.Write(context.Background(), []byte(lines)); err != nil {
		t.Fatal(err)
	}
	if buf.String() != lines {
		t.Errorf("wrote %q, want %q", buf.String(), lines)
	}
	if err := NewWriter(failWriter{}).Write(context.Background(), []byte(lines)); err == nil || !strings.Contains(err.Error(), "stdout") {
		t.Errorf("err = %v, want a stdout write error", err)
	}
	if err := w.Close(); err != nil {
		t.Error(err)
	}
}

func listen(t testing.TB) (*net.UnixConn, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "queue")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, path
}

func TestQueueFraming(t *testing.T) {
	tests := []struct {
		location string
		lines    string
		want     []string
	}{
		{"command_onepassword", "{\"a\":1}\n{\"b\":2}\n", []string{`1:command_onepassword:{"a":1}`, `1:command_onepassword:{"b":2}`}},
		{"command_okta-prod", "{\"c\":3}", []string{`1:command_okta-prod:{"c":3}`}},      // no final newline
		{"command_a:b", "\n{\"d\":\"x:y\"}\n\n", []string{`1:command_a|:b:{"d":"x:y"}`}}, // colon escaped, empty lines skipped
	}
	for _, tc := range tests {
		t.Run(tc.location, func(t *testing.T) {
			srv, path := listen(t)
			q, err := NewQueue(path, tc.location, 1000)
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			if err := q.Write(context.Background(), []byte(tc.lines)); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 70000)
			for i, want := range tc.want {
				_ = srv.SetReadDeadline(time.Now().Add(2 * time.Second))
				n, err := srv.Read(buf)
				if err != nil {
					t.Fatalf("datagram %d: %v", i, err)
				}
				if got := string(buf[:n]); got != want {
					t.Errorf("datagram %d = %q, want %q", i, got, want)
				}
			}
			_ = srv.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			if n, err := srv.Read(buf); err == nil {
				t.Errorf("unexpected extra datagram %q", buf[:n])
			}
		})
	}
}

func TestQueueLargeEvent(t *testing.T) {
	srv, path := listen(t)
	_ = srv.SetReadBuffer(1 << 20)
	q, err := NewQueue(path, "command_x", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	line := `{"s":"` + strings.Repeat("a", 60000) + `"}`
	if err := q.Write(context.Background(), []byte(line+"\n")); err != nil {
		t.Skipf("this host's socket buffers refuse a 60 KB datagram: %v", err)
	}
	buf := make([]byte, 70000)
	_ = srv.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, err := srv.Read(buf)
	if err != nil || string(buf[:n]) != "1:command_x:"+line {
		t.Errorf("got %d bytes, %v", n, err)
	}
}

func TestQueueErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := NewQueue(filepath.Join(dir, "missing"), "command_x", 10); err == nil || !strings.Contains(err.Error(), "wazuh-manager") {
		t.Errorf("missing socket: err = %v, want a message naming wazuh-manager", err)
	}

	// A socket file nobody reads from: connect refused.
	srv, path := listen(t)
	srv.Close()
	if _, err := NewQueue(path, "command_x", 10); err == nil || !strings.Contains(err.Error(), "wazuh-manager") {
		t.Errorf("refused: err = %v, want a message naming wazuh-manager", err)
	}

	// The reader goes away after connect: the send fails, naming Wazuh.
	srv2, path2 := listen(t)
	q, err := NewQueue(path2, "command_x", 10)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	q.reconnectFor = 100 * time.Millisecond // nobody binds the path again
	srv2.Close()
	err = q.Write(context.Background(), []byte("{}\n"))
	if err == nil || !strings.Contains(err.Error(), "wazuh-manager") {
		t.Errorf("send after the reader closed: err = %v, want a message naming wazuh-manager", err)
	}

	// A cancelled context stops the paced sends.
	srv3, path3 := listen(t)
	_ = srv3
	q3, err := NewQueue(path3, "command_x", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer q3.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q3.Write(ctx, []byte("{}\n{}\n{}\n")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v, want context.Canceled", err)
	}
}
