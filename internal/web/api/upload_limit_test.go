package api_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/api"
	"dataport/internal/web/uploadgate"
)

// TestUploadsPerUser: while a user has uploadgate.Parallel uploads being
// read, another of theirs is answered 429 with Retry-After before its body
// is read; once they end, the next is taken. Each held upload asks for
// "100 Continue", which the server sends when its handler starts reading
// the body, so the test knows it holds its place.
func TestUploadsPerUser(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newAccountWorld(t, db)
		u, err := url.Parse(w.base + "/resources/" + w.resourceID + "/data?name=lines.csv")
		if err != nil {
			t.Fatal(err)
		}
		const body = "line_no\n1\n"
		type held struct {
			conn net.Conn
			r    *bufio.Reader
		}
		var uploads []held
		for range uploadgate.Parallel {
			conn, err := net.Dial("tcp", u.Host)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: text/csv\r\n"+
				"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", u.RequestURI(), u.Host, w.editor, len(body))
			r := bufio.NewReader(conn)
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(r, nil)
			if err != nil || resp.StatusCode != http.StatusContinue {
				t.Fatalf("held upload: %v %v; want 100 Continue", resp, err)
			}
			uploads = append(uploads, held{conn, r})
		}
		code, answer := call(t, "POST", u.String(), w.editor, "text/csv", body)
		if code != http.StatusTooManyRequests || !strings.Contains(answer, "uploads of yours are being loaded") {
			t.Errorf("an upload while two run: %d %s", code, answer)
		}
		for _, h := range uploads {
			h.conn.Write([]byte(body))
			resp, err := http.ReadResponse(h.r, nil)
			if err != nil || resp.StatusCode != http.StatusCreated {
				t.Errorf("held upload: %v %v; want 201", resp, err)
			}
		}
		eventually(t, "an upload once the others have ended is loaded", func() bool {
			code, _ := call(t, "POST", u.String(), w.editor, "text/csv", body)
			return code == http.StatusCreated
		})
	})
}

// TestUploadRate: a user who starts more than uploadgate.Burst uploads in
// a row is answered 429 with Retry-After before the body is read, without
// touching the data; another user is not held back.
func TestUploadRate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newAccountWorld(t, db)
		cfg := w.cfg
		cfg.Uploads = uploadgate.NewWith(uploadgate.Parallel, 1, uploadgate.Burst) // a start a minute: the test never waits one out
		mux := http.NewServeMux()
		mux.Handle("POST "+api.Prefix+"/resources/{id}/data", api.UploadHandler(cfg))
		srv := httptest.NewServer(mux)
		defer srv.Close()
		u := srv.URL + api.Prefix + "/resources/" + w.resourceID + "/data?name=lines.csv"
		const body = "line_no\n1\n"
		created := 0
		var code int
		var answer string
		var header http.Header
		for range uploadgate.Burst + 1 {
			code, header, answer = callHeader(t, "POST", u, w.editor, "text/csv", body)
			if code == http.StatusCreated {
				created++
			}
		}
		if created != uploadgate.Burst || code != http.StatusTooManyRequests || !strings.Contains(answer, "too many uploads") {
			t.Fatalf("%d of %d uploads loaded; the last answered %d %s", created, uploadgate.Burst+1, code, answer)
		}
		if secs, err := strconv.Atoi(header.Get("Retry-After")); err != nil || secs < 30 || secs > 61 {
			t.Errorf("Retry-After %q", header.Get("Retry-After"))
		}
	})
}

// eventually fails the test when ok has not held within five seconds.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within 5 s: %s", what)
		}
	}
}
