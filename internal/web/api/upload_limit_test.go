package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

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
			if _, err := io.WriteString(pw, "line_no\n"); err != nil { // returns once the handler reads the body
				t.Fatal(err)
			}
		}
		code, body := call(t, "POST", url, w.editor, "text/csv", "line_no\n1\n")
		if code != http.StatusTooManyRequests || !strings.Contains(body, "uploads of yours are being loaded") {
			t.Errorf("a third upload while two run: %d %s", code, body)
		}
		io.WriteString(writers[0], "1\n")
		writers[0].Close()
		if code := <-done; code != http.StatusCreated {
			t.Fatalf("the first upload: %d", code)
		}
		if code, body := call(t, "POST", url, w.editor, "text/csv", "line_no\n1\n2\n"); code != http.StatusCreated {
			t.Errorf("an upload once one had ended: %d %s", code, body)
		}
		for _, pw := range writers[1:] {
			pw.CloseWithError(io.ErrUnexpectedEOF)
		}
		for range writers[1:] {
			<-done
		}
	})
}
