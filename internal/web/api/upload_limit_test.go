package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/api"
)

// TestUploadsPerUser: while a user has api.UploadsPerUser uploads being
// read, another of theirs is answered 429 with Retry-After before its body
// is read; once one ends, the next is taken.
func TestUploadsPerUser(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newAccountWorld(t, db)
		url := w.base + "/resources/" + w.resourceID + "/data?name=lines.csv"
		var writers []*io.PipeWriter
		done := make(chan int, api.UploadsPerUser)
		for range api.UploadsPerUser {
			pr, pw := io.Pipe()
			writers = append(writers, pw)
			req, _ := http.NewRequest(http.MethodPost, url, pr)
			req.Header.Set("Authorization", "Bearer "+w.editor)
			req.Header.Set("Content-Type", "text/csv")
			go func() {
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					done <- 0
					return
				}
				resp.Body.Close()
				done <- resp.StatusCode
			}()
			if _, err := io.WriteString(pw, "line_no\n"); err != nil {
				t.Fatal(err)
			}
		}
		// The two are running once their handlers have read their first
		// bytes; until then a third may still get in (with a header the
		// resource lacks, it is refused without loading anything).
		eventually(t, "a third upload while two run is answered 429", func() bool {
			code, body := call(t, "POST", url, w.editor, "text/csv", "no_such_item\n1\n")
			return code == http.StatusTooManyRequests && strings.Contains(body, "uploads of yours are being loaded")
		})
		io.WriteString(writers[0], "1\n")
		writers[0].Close()
		if code := <-done; code != http.StatusCreated {
			t.Fatalf("the first upload: %d", code)
		}
		eventually(t, "an upload once one has ended is loaded", func() bool {
			code, _ := call(t, "POST", url, w.editor, "text/csv", "line_no\n1\n2\n")
			return code == http.StatusCreated
		})
		for _, pw := range writers[1:] {
			pw.CloseWithError(io.ErrUnexpectedEOF)
		}
		for range writers[1:] {
			<-done
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
