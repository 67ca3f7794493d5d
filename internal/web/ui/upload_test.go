package ui_test

import (
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// newDataPortal is a portal whose data pages are on: the datastore on the
// real access decision point, uploads loaded by a running job runner.
func newDataPortal(t *testing.T) *portal {
	t.Helper()
	p, _ := newLoadingPortal(t, true)
	return p
}

// countingReader counts what the client sent of a body.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// upload posts the upload form with a file of size bytes, streamed, and
// returns the response's status and how many bytes of the body were sent.
func upload(t *testing.T, b *browser, resourceID string, size int64) (int, int64) {
	t.Helper()
	token := b.csrf("/account")
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		mw.WriteField("csrf_token", token)
		fw, err := mw.CreateFormFile("file", "stations.csv")
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		io.WriteString(fw, "线路编号\n")
		line := strings.Repeat("L0001\n", 1<<10)
		for sent := int64(0); sent < size; sent += int64(len(line)) {
			if _, err := io.WriteString(fw, line); err != nil {
				return
			}
		}
		pw.CloseWithError(mw.Close())
	}()
	body := &countingReader{r: pr}
	req, err := http.NewRequest(http.MethodPost, b.base+"/resources/"+resourceID+"/upload", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := b.noRedirects().client.Do(req)
	pr.Close()
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode == http.StatusSeeOther {
		waitForLoad(t, b, loc)
	}
	return resp.StatusCode, body.n.Load()
}

// waitForLoad waits until the load page at path no longer refreshes.
func waitForLoad(t *testing.T, b *browser, path string) {
	t.Helper()
	for range 100 {
		if pg := b.get(path); pg.header.Get("Refresh") == "" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("the load at %s did not finish", path)
}

// TestUploadRefusedBeforeTheBodyIsRead: a signed-in user who may not load
// into a resource is refused before the upload is read and spooled to disk.
func TestUploadRefusedBeforeTheBodyIsRead(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	p := newDataPortal(t)
	outsider := p.browser()
	outsider.login("outsider.zhao")
	status, sent := upload(t, outsider, p.published.ID, 64<<20)
	t.Logf("the client sent %d KB of a 64 MB refused upload", sent>>10)
	if status != http.StatusForbidden {
		t.Errorf("outsider's upload: status %d, want 403", status)
	}
	if sent > 16<<20 {
		t.Errorf("the server read %d MB of a refused upload", sent>>20)
	}
	editor := p.browser()
	editor.login("editor.li")
	if status, _ := upload(t, editor, p.published.ID, 64<<10); status != http.StatusSeeOther {
		t.Errorf("editor's upload: status %d, want 303 to the load's page", status)
	}
}
