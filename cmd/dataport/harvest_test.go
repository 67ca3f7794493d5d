package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHarvestOneDataportFromAnother starts two real dataport servers and
// harvests the first's catalog into an institution of the second, over the
// CKAN API and over DCAT-AP, twice, checking the report and that the
// harvested datasets become searchable on the second.
func TestHarvestOneDataportFromAnother(t *testing.T) {
	srcDir, dstDir := t.TempDir(), t.TempDir()
	src := start(t, "demo", "--data", srcDir)
	dst := start(t, "demo", "--data", dstDir)
	public := ckanCount(t, src.url, url.Values{"rows": {"0"}})
	if public < 40 {
		t.Fatalf("the source's public catalog has %d datasets", public)
	}

	report := harvestRun(t, dstDir, "ckan", src.url, "TJJ")
	if report.created != public || report.failed != 0 || report.updated != 0 {
		t.Fatalf("first CKAN harvest: %+v, want %d created\n%s", report, public, report.out)
	}
	// The destination's index follows the harvest within seconds.
	title := ckanFirstTitle(t, src.url, url.Values{"q": {"公交站点实时到站"}})
	waitFor(t, 10*time.Second, func() bool {
		return ckanCount(t, dst.url, url.Values{"q": {title}, "fq": {"organization:tjj"}}) == 1
	}, "the harvested dataset to be searchable in the destination")

	// Change one dataset at the source; the second run updates just it.
	token := strings.TrimSpace(runCLI(t, "token", "create", "--user", "admin", "--data", srcDir))
	name := ckanFirstName(t, src.url, url.Values{"q": {"公交站点实时到站"}})
	patch, _ := json.Marshal(map[string]any{"id": name, "notes": "到站预测数据，延迟不超过30秒（已更新）。"})
	req, _ := http.NewRequest(http.MethodPost, src.url+"/api/action/package_patch", bytes.NewReader(patch))
	req.Header.Set("Authorization", token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("package_patch at the source: %v %v", err, resp)
	}
	resp.Body.Close()
	again := harvestRun(t, dstDir, "ckan", src.url, "TJJ")
	if again.created != 0 || again.updated != 1 || again.failed != 0 || !strings.Contains(again.out, "changed since") {
		t.Fatalf("second CKAN harvest: %+v\n%s", again, again.out)
	}

	// DCAT-AP: the same catalog, read as JSON-LD along its Hydra pages, into another institution.
	dcat := harvestRun(t, dstDir, "dcat", src.url+"/catalog.jsonld?page_size=20", "GAJ")
	if dcat.created != public || dcat.failed != 0 {
		t.Fatalf("DCAT harvest: %+v, want %d created\n%s", dcat, public, dcat.out)
	}
	dcatAgain := harvestRun(t, dstDir, "dcat", src.url+"/catalog.jsonld?page_size=20", "GAJ")
	if dcatAgain.created != 0 || dcatAgain.updated != 0 || dcatAgain.failed != 0 {
		t.Fatalf("second DCAT harvest: %+v\n%s", dcatAgain, dcatAgain.out)
	}
	bad := exec.Command(binary, "harvest", "ckan", "http://127.0.0.1:1", "--org", "TJJ", "--data", dstDir)
	if out, err := bad.CombinedOutput(); err == nil {
		t.Errorf("harvesting an unreachable portal succeeded:\n%s", out)
	}

	// A registered source is harvested by the destination's job runner.
	harvestSourceByAPI(t, dst, dstDir, src.url+"/catalog.jsonld?page_size=25", public) // another source: other local ids
}

// harvestSourceByAPI registers source as a DCAT harvest source of the
// transport commission (JTW) on s, runs it now through the API and waits
// for the background job's report.
func harvestSourceByAPI(t *testing.T, s *server, dataDir, source string, want int) {
	t.Helper()
	var orgs struct {
		Items []struct{ ID, Code string } `json:"items"`
	}
	getJSON(t, s.url+"/api/v1/organizations?q=JTW", &orgs)
	orgID := ""
	for _, o := range orgs.Items {
		if o.Code == "JTW" {
			orgID = o.ID
		}
	}
	if orgID == "" {
		t.Fatalf("no JTW in %+v", orgs)
	}
	editor := strings.TrimSpace(runCLI(t, "token", "create", "--user", "jtw.editor", "--data", dataDir))
	operator := strings.TrimSpace(runCLI(t, "token", "create", "--user", "operator", "--data", dataDir))
	in := map[string]any{"organization_id": orgID, "kind": "dcat", "url": source, "frequency": "weekly"}
	if status, body := apiPost(t, s.url+"/api/v1/harvest-sources", editor, in); status != http.StatusForbidden {
		t.Errorf("an institution's editor registered a source: %d %s", status, body)
	}
	status, body := apiPost(t, s.url+"/api/v1/harvest-sources", operator, in)
	var src struct {
		ID         string `json:"id"`
		RunStatus  string `json:"run_status"`
		RunError   string `json:"run_error"`
		LastReport *struct {
			Created []struct {
				LocalID string `json:"local_id"`
			} `json:"created"`
			Failed []struct{ Reason string } `json:"failed"`
		} `json:"last_report"`
	}
	if status != http.StatusCreated || json.Unmarshal([]byte(body), &src) != nil {
		t.Fatalf("register the source: %d %s", status, body)
	}
	if status, body := apiPost(t, s.url+"/api/v1/harvest-sources/"+src.ID+"/run", operator, map[string]any{"full": true}); status != http.StatusOK {
		t.Fatalf("run the source: %d %s", status, body)
	}
	waitFor(t, 60*time.Second, func() bool {
		getJSONAuth(t, s.url+"/api/v1/harvest-sources/"+src.ID, editor, &src)
		return src.RunStatus != "queued" && src.RunStatus != "running" && src.RunStatus != ""
	}, "the source's harvest job to finish")
	if src.RunStatus != "succeeded" || src.LastReport == nil || len(src.LastReport.Created) != want {
		t.Fatalf("the source's run: %s %q %+v, want %d created", src.RunStatus, src.RunError, src.LastReport, want)
	}
}

type harvestReport struct {
	created, updated, skipped, failed int
	out                               string
}

var reportLine = regexp.MustCompile(`created (\d+), updated (\d+), skipped (\d+), failed (\d+)`)

func harvestRun(t *testing.T, dataDir, kind, source, org string) harvestReport {
	t.Helper()
	out := runCLI(t, "harvest", kind, source, "--org", org, "--data", dataDir)
	m := reportLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no report line in:\n%s", out)
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	return harvestReport{n(1), n(2), n(3), n(4), out}
}

func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("dataport %s: %v\n%s\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func ckanSearch(t *testing.T, base string, q url.Values) (int, []map[string]any) {
	t.Helper()
	resp, err := http.Get(base + "/api/3/action/package_search?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Success bool
		Result  struct {
			Count   int
			Results []map[string]any
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || !env.Success {
		t.Fatalf("package_search %s: %v", q.Encode(), err)
	}
	return env.Result.Count, env.Result.Results
}

func ckanCount(t *testing.T, base string, q url.Values) int {
	n, _ := ckanSearch(t, base, q)
	return n
}

func ckanFirstTitle(t *testing.T, base string, q url.Values) string {
	_, res := ckanSearch(t, base, q)
	if len(res) == 0 {
		t.Fatalf("no dataset for %s", q.Encode())
	}
	return res[0]["title"].(string)
}

func ckanFirstName(t *testing.T, base string, q url.Values) string {
	_, res := ckanSearch(t, base, q)
	if len(res) == 0 {
		t.Fatalf("no dataset for %s", q.Encode())
	}
	return res[0]["name"].(string)
}

func waitFor(t *testing.T, d time.Duration, ok func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", d, what)
}
