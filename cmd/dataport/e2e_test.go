package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// binary is the dataport binary built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dataport-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "dataport")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build dataport:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a running dataport process.
type server struct {
	url            string
	stdout, stderr *lockedBuffer
	cmd            *exec.Cmd
	stopped        bool
}

// stop sends SIGINT and expects a clean, prompt shutdown.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if s.stopped {
		return
	}
	s.stopped = true
	s.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("dataport did not shut down cleanly: %v\n%s", err, s.stderr)
		}
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		t.Errorf("dataport did not stop within 20s of SIGINT")
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs `dataport args... --addr FREE` and waits for /healthz, up to
// 3 minutes: a demo seeded on PostgreSQL took over a minute when the
// machine was busy beside the tests (a healthy server answers in seconds,
// so the margin costs nothing).
func start(t *testing.T, args ...string) *server {
	t.Helper()
	return startWithin(t, 3*time.Minute, args...)
}

// startWithin is start waiting up to wait for /healthz (a demo seeded on
// PostgreSQL while other tests run takes longer than a minute).
func startWithin(t *testing.T, wait time.Duration, args ...string) *server {
	t.Helper()
	addr := freeAddr(t)
	s := &server{url: "http://" + addr, stdout: &lockedBuffer{}}
	s.cmd = exec.Command(binary, append(args, "--addr", addr)...)
	s.cmd.Stdout = s.stdout
	s.stderr = &lockedBuffer{}
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.stop(t) })
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("dataport did not become healthy\nstderr:\n%s", s.stderr)
	return nil
}

// accounts parses the demo's account table from its standard output.
func (s *server) accounts(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s.stdout.String()))
	inTable := false
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "USERNAME" {
			inTable = true
			continue
		}
		if inTable && len(fields) >= 2 {
			out[fields[0]] = fields[1]
		}
	}
	if len(out) == 0 {
		t.Fatalf("no accounts printed by demo:\n%s", s.stdout)
	}
	return out
}

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

var csrfField = regexp.MustCompile(`name="csrf_token"\s+value="([^"]+)"|value="([^"]+)"\s+name="csrf_token"`)

// csrf fetches page and returns the CSRF token of its form.
func (b *browser) csrf(page string) string {
	b.t.Helper()
	status, body := b.get(page)
	m := csrfField.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		b.t.Fatalf("GET %s: status %d, no csrf_token field", page, status)
	}
	return m[1] + m[2]
}

// post submits a form and returns the status, the Location header and the body.
func (b *browser) post(path string, form url.Values) (int, string, string) {
	b.t.Helper()
	resp, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

func (b *browser) login(username, password string) {
	b.t.Helper()
	status, loc, body := b.post("/login", url.Values{"csrf_token": {b.csrf("/login")}, "username": {username}, "password": {password}})
	if status != http.StatusSeeOther {
		b.t.Fatalf("login as %s: status %d (location %q)\n%s", username, status, loc, excerpt(body))
	}
}

func excerpt(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "..."
	}
	return s
}

// accountWithSuffix finds the first (by name) demo account whose name ends with suffix (e.g. ".editor").
func accountWithSuffix(t *testing.T, accounts map[string]string, suffix string) (string, string) {
	t.Helper()
	var names []string
	for name := range accounts {
		if strings.HasSuffix(name, suffix) {
			names = append(names, name)
		}
	}
	if len(names) > 0 {
		slices.Sort(names)
		return names[0], accounts[names[0]]
	}
	t.Fatalf("no demo account ending in %q among %v", suffix, accounts)
	return "", ""
}

func TestEndToEndCatalogWorkflow(t *testing.T) {
	s := start(t, "demo", "--data", t.TempDir())
	accounts := s.accounts(t)
	editorName, editorPassword := accountWithSuffix(t, accounts, ".editor")

	editor := newBrowser(t, s.url)
	editor.login(editorName, editorPassword)
	status, myPage := editor.get("/my")
	if status != http.StatusOK {
		t.Fatalf("GET /my: %d", status)
	}
	title := "端到端测试公交客流数据 " + time.Now().Format("150405")
	id := createResource(t, editor, myPage, title)
	resourcePage := "/resources/" + id
	if status, _, body := editor.post(resourcePage+"/submit", url.Values{"csrf_token": {editor.csrf(resourcePage)}}); status != http.StatusSeeOther {
		t.Fatalf("submit: %d\n%s", status, excerpt(body))
	}

	// Before review, the public does not see it.
	public := newBrowser(t, s.url)
	_, editorView := editor.get(resourcePage)
	code := regexp.MustCompile(`[A-Z0-9]+-04-\d{5}`).FindString(editorView)
	if code == "" {
		t.Fatalf("resource page shows no catalog code:\n%s", excerpt(editorView))
	}
	// The portal links a search result to its dataset page, named by the code.
	link := `href="/dataset/` + strings.ToLower(code) + `"`
	if _, page := public.get("/catalog?q=" + url.QueryEscape(title)); strings.Contains(page, link) {
		t.Fatal("a submitted resource is visible in the public catalog before review")
	}

	operator := newBrowser(t, s.url)
	operator.login("operator", accounts["operator"])
	if _, queue := operator.get("/review"); !strings.Contains(queue, html.EscapeString(title)) {
		t.Fatalf("review queue does not list the submitted resource")
	}
	review := url.Values{"csrf_token": {operator.csrf(resourcePage)}, "decision": {"approve"}, "comment": {"符合目录规范"}}
	if status, _, body := operator.post(resourcePage+"/review", review); status != http.StatusSeeOther {
		t.Fatalf("review: %d\n%s", status, excerpt(body))
	}

	// The public catalog is served from the search index, which follows
	// changes within seconds.
	listed := func() bool {
		_, page := public.get("/catalog?q=" + url.QueryEscape(title))
		return strings.Contains(page, link)
	}
	if !eventually(30*time.Second, listed) {
		t.Fatalf("published resource missing from the public catalog page after 30s")
	}
	var list struct {
		Items []struct {
			ID, Code, Status, TitleZh, ShareType, OpenType string
		} `json:"items"`
	}
	getJSON(t, s.url+"/api/v1/resources?q="+url.QueryEscape(title), &list)
	if len(list.Items) != 1 || list.Items[0].ID != id || list.Items[0].Status != "published" {
		t.Fatalf("/api/v1/resources = %+v, want the published resource %s", list.Items, id)
	}
	var history struct {
		Items []struct{ Action string } `json:"items"`
	}
	getJSON(t, s.url+"/api/v1/resources/"+id+"/history", &history)
	if got := actions(history.Items); got != "published,submitted,created" {
		t.Errorf("history actions = %s", got)
	}

	// The workflow's events are sealed in the ledger, and /metrics says so.
	sealed := func() bool {
		_, metrics := public.get("/metrics")
		return regexp.MustCompile(`(?m)^dataport_ledger_size [1-9]`).MatchString(metrics) &&
			regexp.MustCompile(`(?m)^dataport_ledger_unsealed_events 0$`).MatchString(metrics)
	}
	if !eventually(30*time.Second, sealed) {
		_, metrics := public.get("/metrics")
		t.Errorf("ledger metrics never showed every event sealed:\n%s", grepLines(metrics, "dataport_ledger"))
	}
}

// createResource creates a draft resource titled title (items line_no,
// text and key, and riders, integer; unconditionally shared and open) for
// the editor's institution, found on their /my page, and returns its id.
func createResource(t *testing.T, editor *browser, myPage, title string) string {
	t.Helper()
	orgID := regexp.MustCompile(`organization_id=([0-9a-f-]{36})`).FindStringSubmatch(myPage)
	if orgID == nil {
		t.Fatalf("/my has no link to create a resource for the editor's institution:\n%s", excerpt(myPage))
	}
	newPage := "/my/resources/new?organization_id=" + orgID[1]
	form := url.Values{
		"csrf_token": {editor.csrf(newPage)}, "organization_id": {orgID[1]},
		"title_zh": {title}, "title_en": {"End-to-end bus ridership"},
		"description_zh": {"按线路统计的日客流量，用于端到端测试。"}, "subject": {"04"}, "industry": {"G"},
		"keywords": {"公交，客流"}, "formats": {"CSV", "JSON"}, "update_frequency": {"daily"},
		"share_type": {"unconditional"}, "open_type": {"unconditional"}, "classification": {"general"}, "level": {"1"},
		"items.0.name": {"line_no"}, "items.0.label_zh": {"线路编号"}, "items.0.type": {"text"}, "items.0.required": {"on"}, "items.0.key": {"on"},
		"items.1.name": {"riders"}, "items.1.label_zh": {"客流量"}, "items.1.type": {"integer"},
	}
	status, loc, body := editor.post("/my/resources", form)
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/resources/") {
		t.Fatalf("create resource: status %d location %q\n%s", status, loc, excerpt(body))
	}
	id := strings.Trim(strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/resources/"), "/")
	return id
}

func grepLines(text, prefix string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func actions(items []struct{ Action string }) string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Action
	}
	return strings.Join(out, ",")
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, body)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestTokenCreateWorksOfflineAndAuthenticatesTheAPI(t *testing.T) {
	dir := t.TempDir()
	s := start(t, "demo", "--data", dir)
	s.stop(t) // token create must work against the store alone

	out, err := exec.Command(binary, "token", "create", "--data", dir, "--user", "admin", "--name", "e2e").Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	token := strings.TrimSpace(string(out))
	if !strings.HasPrefix(token, "dp_") || strings.Contains(token, "\n") {
		t.Fatalf("token create printed %q, want one dp_ token", out)
	}

	s2 := start(t, "serve", "--data", dir)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, s2.url+"/api/v1/users/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var me struct {
		Username      string   `json:"username"`
		PlatformRoles []string `json:"platform_roles"`
	}
	json.NewDecoder(resp.Body).Decode(&me)
	if resp.StatusCode != http.StatusOK || me.Username != "admin" {
		t.Fatalf("GET /api/v1/users/me with the token: %d %+v", resp.StatusCode, me)
	}
	req.Header.Set("Authorization", "Bearer dp_wrong")
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong token: status %d, want 401", resp2.StatusCode)
	}
}

// eventually polls cond until it holds or timeout passes.
func eventually(timeout time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(timeout); ; time.Sleep(100 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// TestOperatorFilesRefused: a bad holiday schedule or grading rule file
// stops the server at start with the file (and the bad entry) named.
func TestOperatorFilesRefused(t *testing.T) {
	dir := t.TempDir()
	holidays := filepath.Join(dir, "holidays.yaml")
	os.WriteFile(holidays, []byte(`"2027": {holidays: ["2027-01-02"]}`), 0o600)
	rules := filepath.Join(dir, "rules.yaml")
	os.WriteFile(rules, []byte("levels: [[["), 0o600)
	for _, c := range []struct {
		flag, file, want string
	}{
		{"--holidays", holidays, `2027.holidays[0] = "2027-01-02" is a Saturday, not a weekday`},
		{"--grading-rules", rules, "rules.yaml"},
	} {
		cmd := exec.Command(binary, "serve", "--data", filepath.Join(dir, "data"), "--addr", "127.0.0.1:0", c.flag, c.file)
		cmd.Env = append(os.Environ(), "DATAPORT_LOG_LEVEL=error")
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.file) || !strings.Contains(string(out), c.want) {
			t.Errorf("serve %s %s: %v\n%s", c.flag, c.file, err, out)
		}
	}
}
