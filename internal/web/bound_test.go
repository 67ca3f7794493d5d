package web_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/datastore"
	"dataport/internal/ledger"
	"dataport/internal/notify"
	"dataport/internal/opening"
	"dataport/internal/search"
	"dataport/internal/sharing"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web"
	"dataport/internal/web/api"
	"dataport/internal/web/services"
)

// boundWorld is a store whose open resource holds many rows, for serving
// the whole HTTP surface under given timeouts.
type boundWorld struct {
	w      *accesstest.World
	cfg    web.Config
	editor string // an API token of the provider's editor
}

func newBoundWorld(t *testing.T, rows int) *boundWorld {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, store.SQLite)
	w := accesstest.New(t, db)
	acc := access.New(db, w.Cat, access.Config{AnonymousRate: 1 << 20, UserRate: 1 << 20})
	t.Cleanup(acc.Close)
	ds := datastore.New(datastore.Config{DB: db, Catalog: w.Cat, Access: acc})
	var csv strings.Builder
	csv.WriteString("station,district,riders,phone\n")
	for i := range rows {
		fmt.Fprintf(&csv, "站点%06d%s终,东城区,%d,\n", i, strings.Repeat("号", 60), i) // "终" last, for slowRows
	}
	if _, err := ds.Load(ctx, w.ProviderEditor, w.Open.ID, datastore.LoadInput{File: strings.NewReader(csv.String()), Name: "rows.csv", Size: int64(csv.Len())}); err != nil {
		t.Fatal(err)
	}
	ix, err := search.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	log := slog.New(slog.DiscardHandler)
	editor, _, err := w.IDs.CreateToken(ctx, w.ProviderEditor, w.ProviderEditor.UserID, "bound", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &boundWorld{w: w, editor: editor, cfg: web.Config{DB: db, PublicURL: "http://portal.test", Version: "test", Services: services.Services{
		Identity: w.IDs, Catalog: w.Cat, Access: acc,
		Sharing: sharing.NewService(db, w.Cat, acc, sharing.Config{}), Opening: opening.NewService(db, w.Cat, w.IDs, acc, opening.Config{}),
		Notify: notify.NewService(db), Datastore: ds, Search: ix,
		Ledger: ledger.New(db, ledger.Config{DataDir: t.TempDir(), PublicURL: "http://portal.test", Log: log}), Log: log}}}
}

// served is the site on a test server under timeouts, and the status of
// each request its handler has finished, in order.
type served struct {
	url      string
	addr     string
	finished chan int
}

func (bw *boundWorld) serve(t *testing.T, timeouts web.Timeouts) *served {
	t.Helper()
	cfg := bw.cfg
	cfg.Timeouts = timeouts
	h, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &served{finished: make(chan int, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		s.finished <- sw.status
	}))
	// A request that never ends would block Close: a failed test leaves the server.
	t.Cleanup(func() {
		if !t.Failed() {
			srv.Close()
		}
	})
	s.url, s.addr = srv.URL, srv.Listener.Addr().String()
	return s
}

// awaitFinish returns the status of the next request the handler finishes,
// failing the test when none finishes within limit.
func (s *served) awaitFinish(t *testing.T, what string, limit time.Duration) int {
	t.Helper()
	select {
	case status := <-s.finished:
		return status
	case <-time.After(limit):
		t.Fatalf("%s: the handler is still working after %v", what, limit)
		return 0
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// slowRows is a rows query that reads every row, testing 32 words (the
// most q may hold) on each: 31 found only at the end of a long value, and
// one found nowhere.
func slowRows(id string) string {
	return api.Prefix + "/resources/" + id + "/rows?" + url.Values{"q": {strings.Repeat("终 ", 31) + "无此词"}}.Encode()
}

// TestMalformedQueriesAnsweredByTheServer: package_search with q=: or
// fq="x :" (which looped forever, holding a core after the client had
// gone) is answered at once with a Search Query Error by the whole site.
func TestMalformedQueriesAnsweredByTheServer(t *testing.T) {
	s := newBoundWorld(t, 1).serve(t, web.Timeouts{})
	client := &http.Client{Timeout: 2 * time.Second}
	for _, q := range []string{"q=%3A", "fq=x%20%3A"} {
		resp, err := client.Get(s.url + "/api/3/action/package_search?" + q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "Search Query Error") {
			t.Errorf("%s: %d %s", q, resp.StatusCode, body)
		}
	}
}

// TestRequestsStopWhenTheirClientGoesOrTheirTimeIsUp: a rows query that
// reads every row of 100,000 stops soon after its client hangs up, or at
// the request deadline when its client waits; both answers are cut short
// (not 200).
func TestRequestsStopWhenTheirClientGoesOrTheirTimeIsUp(t *testing.T) {
	bw := newBoundWorld(t, 100_000)
	t.Run("client gone", func(t *testing.T) {
		s := bw.serve(t, web.Timeouts{})
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+slowRows(bw.w.Open.ID), nil)
		time.AfterFunc(300*time.Millisecond, cancel)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("the query answered %d before its client went", resp.StatusCode)
		}
		if status := s.awaitFinish(t, "a query whose client has gone", 3*time.Second); status == http.StatusOK {
			t.Errorf("the query ran to the end after its client had gone")
		}
	})
	t.Run("deadline", func(t *testing.T) {
		s := bw.serve(t, web.Timeouts{Request: 500 * time.Millisecond})
		client := &http.Client{Timeout: 5 * time.Second}
		resp, err := client.Get(s.url + slowRows(bw.w.Open.ID))
		if ue, ok := err.(*url.Error); ok {
			t.Fatalf("no answer at the request deadline: %v", ue.Err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("the query ran past its deadline and answered 200")
		}
		if status := s.awaitFinish(t, "a query past its deadline", time.Second); status != resp.StatusCode {
			t.Errorf("finished with %d, answered %d", status, resp.StatusCode)
		}
	})
}

// TestStalledUploadEnds: an upload whose client sends a few bytes of a
// 10 MB body and then nothing ends once it has stalled for Timeouts.Stall,
// answered or cut, instead of holding its load open.
func TestStalledUploadEnds(t *testing.T) {
	bw := newBoundWorld(t, 1)
	s := bw.serve(t, web.Timeouts{Stall: 500 * time.Millisecond})
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s/resources/%s/data?name=rows.csv HTTP/1.1\r\nHost: portal.test\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: text/csv\r\nContent-Length: 10000000\r\n\r\nstation,district,riders,phone\n站点1,东城区,1,\n", api.Prefix, bw.w.Open.ID, bw.editor)
	s.awaitFinish(t, "a stalled upload", 5*time.Second)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if resp, err := http.ReadResponse(bufio.NewReader(conn), nil); err == nil && resp.StatusCode < 400 {
		t.Errorf("the stalled upload answered %d", resp.StatusCode)
	}
}
