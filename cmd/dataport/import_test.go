package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// importStore opens the store of a data dir (and PostgreSQL URL) and adds
// an institution with an editor, returning the organization's id.
func importStore(t *testing.T, dataDir, dbURL string) (*store.DB, string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DataDir: dataDir, URL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ids := identity.NewService(db)
	org, err := ids.CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindOperator, NameZh: "京华市统计局", Code: "JHTJJ"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ids.CreateUser(ctx, identity.System, identity.UserInput{Username: "loader", DisplayName: "Loader", Password: "a long enough password",
		Memberships: []identity.Membership{{OrganizationID: org.ID, Role: identity.RoleEditor}}}); err != nil {
		t.Fatal(err)
	}
	return db, org.ID
}

// writeCSV writes a deterministic CSV of n rows with a key, text, integer,
// decimal, date and code columns.
func writeCSV(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "编号,名称,人数,金额,日期,区划")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(w, "R%08d,单位%d,%d,%d.%02d,2024-%02d-%02d,1101%02d\n", i, i%997, i%5000, i%100000, i%100, i%12+1, i%28+1, i%16+1)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// lastJSONLine decodes the last line of out.
func lastJSONLine(t *testing.T, out string) importResult {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var res importResult
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("last line is not the result JSON: %v\n%s", err, out)
	}
	return res
}

func storeArgs(dataDir, dbURL string) []string {
	args := []string{"--data", dataDir}
	if dbURL != "" {
		args = append(args, "--db", dbURL)
	}
	return args
}

func countRows(t *testing.T, db *store.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportSurvivesSIGKILL kills `dataport import` with SIGKILL in the
// middle of a large load, then shows that no version of the load is
// visible after restart and that the same load can be repeated.
func TestImportSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a large file")
	}
	stores := map[string]string{"sqlite": ""}
	if dsn := os.Getenv(storetest.EnvPostgres); dsn != "" {
		stores["postgres"] = dsn
	}
	for name, dsn := range stores {
		t.Run(name, func(t *testing.T) {
			dataDir, dbURL := t.TempDir(), ""
			if dsn != "" {
				dbURL = storetest.NewSchema(t, dsn)
			}
			db, orgID := importStore(t, dataDir, dbURL)
			const n = 600000
			file := filepath.Join(t.TempDir(), "big.csv")
			writeCSV(t, file, n)
			cmd := exec.Command(binary, append([]string{"import", "--infer", "--organization", orgID, "--title", "大文件", "--quiet", file},
				storeArgs(dataDir, dbURL)...)...)
			var stderr lockedBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(60 * time.Second)
			for countRows(t, db, `SELECT COALESCE(MAX(rows_read), 0) FROM datastore_loads WHERE state = 'loading'`) == 0 {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("the load never reported progress:\n%s", stderr.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			var code string
			if err := db.QueryRow(`SELECT code FROM resources WHERE title_zh = '大文件'`).Scan(&code); err != nil {
				t.Fatalf("the inferred resource is missing: %v", err)
			}
			if v := countRows(t, db, `SELECT COUNT(*) FROM datastore_versions`); v != 0 {
				t.Fatalf("%d version(s) visible after the kill", v)
			}
			if c := countRows(t, db, `SELECT COUNT(*) FROM datastore_current`); c != 0 {
				t.Fatalf("readers point at a half-loaded table")
			}
			out, status := dataportCLI(t, nil, append([]string{"import", "--resource", code, "--quiet", file}, storeArgs(dataDir, dbURL)...)...)
			if status != 0 {
				t.Fatalf("repeating the load failed (%d):\n%s", status, out)
			}
			res := lastJSONLine(t, out)
			if res.Rows != n || res.Version != 1 || res.Code != code {
				t.Errorf("repeated load = %+v, want %d rows in version 1 of %s", res, n, code)
			}
			var table string
			if err := db.QueryRow(`SELECT table_name FROM datastore_current`).Scan(&table); err != nil {
				t.Fatal(err)
			}
			if got := countRows(t, db, `SELECT COUNT(*) FROM "`+table+`"`); got != n {
				t.Errorf("current table holds %d rows, want %d", got, n)
			}
		})
	}
}

// TestImportThroughServer loads with --url and --token, and shows a refused
// file's errors row by row.
func TestImportThroughServer(t *testing.T) {
	dataDir := t.TempDir()
	db, orgID := importStore(t, dataDir, "")
	db.Close()
	tok := exec.Command(binary, "token", "create", "--user", "loader", "--data", dataDir)
	secret, err := tok.Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	s := start(t, "serve", "--data", dataDir)
	file := filepath.Join(t.TempDir(), "small.csv")
	writeCSV(t, file, 50)
	token := strings.TrimSpace(string(secret))
	out, status := dataportCLI(t, nil, "import", "--url", s.url, "--token", token, "--infer", "--organization", orgID, "--title", "小文件", "--quiet", file)
	if status != 0 {
		t.Fatalf("import through the server: %s", out)
	}
	res := lastJSONLine(t, out)
	if res.Rows != 50 || res.Version != 1 {
		t.Fatalf("result = %+v", res)
	}
	var rows struct {
		Rows  [][]any `json:"rows"`
		Total int64   `json:"total"`
	}
	req := s.url + "/api/v1/resources/" + res.ID + "/rows?limit=2&filter=col_6:eq:110102"
	getJSONAuth(t, req, token, &rows)
	if rows.Total != 4 || len(rows.Rows) != 2 { // rows 1, 17, 33 and 49
		t.Errorf("filtered rows = %+v", rows)
	}
	var ckan struct {
		Success bool `json:"success"`
		Result  struct {
			Total   int64            `json:"total"`
			Records []map[string]any `json:"records"`
		} `json:"result"`
	}
	getJSONAuth(t, s.url+"/api/3/action/datastore_search?limit=1&filters="+url.QueryEscape(`{"col_6":"110102"}`)+"&resource_id="+res.Code, token, &ckan)
	if !ckan.Success || ckan.Result.Total != 4 || len(ckan.Result.Records) != 1 || ckan.Result.Records[0]["col_1"] != "R00000001" {
		t.Errorf("CKAN datastore_search = %+v", ckan)
	}
	sql := url.QueryEscape(`SELECT COUNT(*) AS n FROM "` + res.ID + `"`)
	if code, body := httpGet(t, s.url+"/api/3/action/datastore_search_sql?sql="+sql, token); code != http.StatusForbidden ||
		!strings.Contains(body, "not enabled") {
		t.Errorf("datastore_search_sql while disabled: %d %s", code, body)
	}
	if code, body := httpGet(t, s.url+"/api/3/action/datastore_search?resource_id="+res.ID, ""); code != http.StatusForbidden {
		t.Errorf("anonymous datastore_search on a draft: %d %s", code, body)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("编号,名称,人数,金额,日期,区划\nR1,甲,x,1.5,2024-01-01,110101\nR2,乙,3,1.5,2024-02-30,110101\n"), 0o644)
	out, status = dataportCLI(t, nil, "import", "--url", s.url, "--token", token, "--resource", res.Code, "--quiet", bad)
	want := []string{`row 2, column "人数", value "x": is not an integer`, `row 3, column "日期", value "2024-02-30": is not a date (write it as YYYY-MM-DD)`}
	if status == 0 || !strings.Contains(out, want[0]) || !strings.Contains(out, want[1]) {
		t.Errorf("refused file: status %d\n%s", status, out)
	}
}

func httpGet(t *testing.T, u, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

func getJSONAuth(t *testing.T, u, token string, v any) {
	t.Helper()
	code, body := httpGet(t, u, token)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, code, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v\n%s", u, err, body)
	}
}

// TestUploadThroughBrowser uploads files through the data page's form and
// follows the load's status page to the new version's quality report.
func TestUploadThroughBrowser(t *testing.T) {
	dataDir := t.TempDir()
	db, orgID := importStore(t, dataDir, "")
	db.Close()
	file := filepath.Join(t.TempDir(), "first.csv")
	writeCSV(t, file, 20)
	out, status := dataportCLI(t, nil, "import", "--infer", "--organization", orgID, "--title", "网页上传", "--quiet", "--data", dataDir, file)
	if status != 0 {
		t.Fatalf("import: %s", out)
	}
	res := lastJSONLine(t, out)
	s := start(t, "serve", "--data", dataDir)
	b := newBrowser(t, s.url)
	b.login("loader", "a long enough password")
	page := "/resources/" + res.ID + "/data"
	code, body := b.get(page)
	if code != http.StatusOK || !strings.Contains(body, "单位1") || !strings.Contains(body, `enctype="multipart/form-data"`) {
		t.Fatalf("data page: %d\n%s", code, excerpt(body))
	}
	upload := func(name, content string) string {
		t.Helper()
		loc := "/loads/" + uploadThroughUI(t, b, res.ID, name, []byte(content))
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, body := b.get(loc)
			if !strings.Contains(body, "本页每 2 秒自动刷新") || time.Now().After(deadline) {
				return body
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	header := "编号,名称,人数,金额,日期,区划\n"
	body = upload("second.csv", header+"R00000001,改名单位,5,1.50,2024-03-01,110101\n")
	if !strings.Contains(body, "/data/versions/2") {
		t.Fatalf("load page after a good upload:\n%s", excerpt(body))
	}
	_, body = b.get("/resources/" + res.ID + "/data/versions/2")
	if !strings.Contains(body, "质量报告") || !strings.Contains(body, "second.csv") {
		t.Errorf("version page:\n%s", excerpt(body))
	}
	settings := func(rules string) (int, string) {
		t.Helper()
		status, _, body := b.post(page+"/settings", url.Values{"csrf_token": {b.csrf(page)}, "on_error": {"refuse"},
			"keep_versions": {"3"}, "indexes": {"col_6"}, "rules": {rules}})
		return status, body
	}
	if status, body := settings("col_3: value >"); status != http.StatusUnprocessableEntity || !strings.Contains(body, "CEL") {
		t.Errorf("bad rule: %d\n%s", status, excerpt(body))
	}
	if status, body := settings("col_3: value < 1000 | 人数应小于1000"); status != http.StatusSeeOther {
		t.Errorf("good rule: %d\n%s", status, excerpt(body))
	}
	if status, body := b.get("/my/stale"); status != http.StatusOK || !strings.Contains(body, "数据及时性") {
		t.Errorf("timeliness page: %d\n%s", status, excerpt(body))
	}
	body = upload("binary.csv", "PK\x03\x04 not a csv")
	if !strings.Contains(body, "文件未被接收") || !strings.Contains(body, "ZIP archive") {
		t.Errorf("load page after a binary upload:\n%s", excerpt(body))
	}
	body = upload("bad.csv", header+"R00000001,甲,很多,1.50,2024-03-01,110101\n")
	if !strings.Contains(body, "文件未被接收") || !strings.Contains(html.UnescapeString(body), `row 2, column "人数", value "很多": is not an integer`) {
		t.Errorf("load page after a bad upload:\n%s", excerpt(body))
	}
}

// TestImportInferWidensPastTheSample imports a file whose 人数 column
// holds integers for longer than the sample a first import infers from,
// then decimals: the item is widened to decimal, the output says so, and
// no value is lost.
func TestImportInferWidensPastTheSample(t *testing.T) {
	dataDir := t.TempDir()
	db, orgID := importStore(t, dataDir, "")
	file := filepath.Join(t.TempDir(), "widen.csv")
	var b strings.Builder
	b.WriteString("编号,名称,人数\n")
	const n = 25000
	for i := 1; i <= n; i++ {
		people := fmt.Sprint(i % 5000)
		if i == 24000 {
			people = "12.5"
		}
		fmt.Fprintf(&b, "R%08d,单位%d,%s\n", i, i%997, people)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, status := dataportCLI(t, nil, "import", "--infer", "--organization", orgID, "--title", "逐步推断", "--quiet", "--data", dataDir, file)
	if status != 0 {
		t.Fatalf("import: %s", out)
	}
	if !strings.Contains(out, `item col_3 (人数): integer → decimal (row 24001, value "12.5")`) {
		t.Errorf("the output does not name the widening:\n%s", out)
	}
	res := lastJSONLine(t, out)
	if res.Rows != n || res.Rejected != 0 {
		t.Errorf("result = %+v, want %d rows", res, n)
	}
	var items string
	if err := db.QueryRow(`SELECT items FROM datastore_versions WHERE resource_id = $1`, res.ID).Scan(&items); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(items, `"name":"col_3","label_zh":"人数","type":"decimal"`) {
		t.Errorf("version items = %s", items)
	}
}
