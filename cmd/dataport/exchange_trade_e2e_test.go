package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"dataport/internal/exchange/exchangetest"
	"dataport/internal/identity"
)

// exchangeRun drives the data exchange of a running binary through the
// native API only, as the people a trade involves.
type exchangeRun struct {
	t        *testing.T
	s        *server
	accounts map[string]string
}

// call sends method path (under /api/v1) as the holder of token with body
// as JSON (none when nil), fails the test unless the answer has status
// want, and decodes it into out (when not nil). It returns the body.
func (x *exchangeRun) call(method, path, token string, body any, want int, out any) []byte {
	x.t.Helper()
	return x.callWith(method, path, token, "", body, want, out)
}

func (x *exchangeRun) callWith(method, path, token, key string, body any, want int, out any) []byte {
	x.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			x.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	u := path
	if !strings.HasPrefix(u, "http") {
		u = x.s.url + "/api/v1" + path
	}
	var req *http.Request
	if rd != nil {
		req, _ = http.NewRequest(method, u, rd)
		req.Header.Set("Content-Type", "application/json")
	} else {
		req, _ = http.NewRequest(method, u, nil)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("X-Dataport-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		x.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if resp.StatusCode != want {
		x.t.Fatalf("%s %s: %d, want %d\n%.2000s", method, path, resp.StatusCode, want, buf.String())
	}
	if out != nil {
		if err := json.Unmarshal(buf.Bytes(), out); err != nil {
			x.t.Fatalf("%s %s: %v\n%.500s", method, path, err, buf.String())
		}
	}
	return buf.Bytes()
}

// token signs name in and returns a new API token of theirs.
func (x *exchangeRun) token(name, password string) string {
	x.t.Helper()
	b := newBrowser(x.t, x.s.url)
	b.login(name, password)
	return b.apiToken("exchange-e2e")
}

// organization creates an organization as the sysadmin and a user with
// role in it, and returns the organization's id and the user's token.
func (x *exchangeRun) organization(admin, kind, name, code, username, role string) (string, string) {
	x.t.Helper()
	in := map[string]any{"kind": kind, "name_zh": name, "code": code}
	if kind == string(identity.KindEnterprise) {
		in["uscc"] = exchangetest.USCC(code)
	}
	var org struct{ ID string }
	x.call("POST", "/organizations", admin, in, http.StatusCreated, &org)
	password := "e2e password for " + username
	x.call("POST", "/users", admin, map[string]any{"username": username, "display_name": username, "password": password,
		"memberships": []map[string]string{{"organization_id": org.ID, "role": role}}}, http.StatusCreated, nil)
	return org.ID, x.token(username, password)
}

// admit has the organization's admin apply with role and the exchange's
// staff admit it; it returns the participant's id.
func (x *exchangeRun) admit(applicant, staff, orgID, legalRep, role string) string {
	x.t.Helper()
	var org struct{ USCC, Code string }
	x.call("GET", "/organizations/"+orgID, applicant, nil, http.StatusOK, &org)
	code := org.USCC
	if code == "" {
		code = exchangetest.USCC(org.Code)
	}
	var app struct {
		ID            string `json:"id"`
		ParticipantID string `json:"participant_id"`
	}
	x.call("POST", "/exchange/applications", applicant, map[string]any{"org_id": orgID, "uscc": code, "legal_representative": legalRep,
		"contact_name": "联系人", "contact_phone": "010-65551234", "contact_email": "exchange@example.cn", "roles": []string{role}},
		http.StatusCreated, &app)
	x.call("POST", "/exchange/applications/"+app.ID+"/review", staff, map[string]string{"decision": "approve", "comment": "材料齐全"},
		http.StatusOK, nil)
	var p struct{ Status string }
	x.call("GET", "/exchange/participants/"+app.ParticipantID, staff, nil, http.StatusOK, &p)
	if p.Status != "admitted" {
		x.t.Fatalf("participant %s after admission: %s", app.ParticipantID, p.Status)
	}
	return app.ParticipantID
}

// resourceWithRows returns a published resource of orgID that has rows,
// and its items.
func (x *exchangeRun) resourceWithRows(editor, orgID string) (string, []string) {
	x.t.Helper()
	var list struct {
		Items []struct {
			ID    string
			Items []struct{ Name string }
		}
	}
	x.call("GET", "/resources?status=published&limit=200&organization_id="+orgID, editor, nil, http.StatusOK, &list)
	for _, r := range list.Items {
		var rows struct{ Rows [][]any }
		status, _, body := apiGet(x.t, x.s.url+"/api/v1/resources/"+r.ID+"/rows?limit=1", editor)
		if status != http.StatusOK || json.Unmarshal([]byte(body), &rows) != nil {
			continue // no data loaded
		}
		if len(rows.Rows) > 0 && len(r.Items) >= 3 {
			var items []string
			for _, it := range r.Items {
				items = append(items, it.Name)
			}
			return r.ID, items
		}
	}
	x.t.Fatalf("no published resource of %s with rows", orgID)
	return "", nil
}

// TestExchangeTradeEndToEnd runs a whole trade on the real binary, native
// API only: admission of a provider, a buyer and a law firm; a product
// listed after double vetting; its registration certificate; an order
// agreed automatically into a contract with a delivery grant; reads
// through the row API within the contract's fields and count, and one
// more refused; settlement and rating; then a dispute whose evidence
// bundle `dataport ledger verify --bundle` accepts, and names the file in
// which a byte was changed. It runs on SQLite, and on PostgreSQL when
// DATAPORT_TEST_POSTGRES is set.
func TestExchangeTradeEndToEnd(t *testing.T) {
	ledgerStores(t, func(t *testing.T, dataDir, dbURL string) {
		args := []string{"demo", "--data", dataDir}
		if dbURL != "" {
			args = append(args, "--db", dbURL)
		}
		exchangeTrade(t, start(t, args...))
	})
}

func exchangeTrade(t *testing.T, s *server) {
	x := &exchangeRun{t: t, s: s, accounts: s.accounts(t)}
	admin := x.token("admin", x.accounts["admin"])
	editorName, _ := accountWithSuffix(t, x.accounts, ".editor")
	adminName := strings.TrimSuffix(editorName, ".editor") + ".admin"
	providerEditor, providerAdmin := x.token(editorName, x.accounts[editorName]), x.token(adminName, x.accounts[adminName])
	var me struct {
		Memberships []struct {
			OrganizationID string `json:"organization_id"`
		}
	}
	x.call("GET", "/users/me", providerEditor, nil, http.StatusOK, &me)
	providerOrg := me.Memberships[0].OrganizationID

	_, staff := x.organization(admin, string(identity.KindExchange), "京华数据交易所", "JHSJJYS", "jys.staff", "member")
	_, arbitrator := x.organization(admin, string(identity.KindExchange), "京华数据交易所仲裁中心", "JHZCZX", "jys.arbitrator", "member")
	buyerOrg, buyer := x.organization(admin, string(identity.KindEnterprise), "京华数智科技有限公司", "SZKJE2E", "szkj.admin", "admin")
	lawOrg, lawyer := x.organization(admin, string(identity.KindEnterprise), "京华明德律师事务所", "MDLSE2E", "mdls.admin", "admin")
	_, outsider := x.organization(admin, string(identity.KindEnterprise), "京华旁观咨询有限公司", "PGZXE2E", "pgzx.admin", "admin")

	// Admission.
	provider := x.admit(providerAdmin, staff, providerOrg, "王建国", "provider")
	x.admit(buyer, staff, buyerOrg, "李明", "buyer")
	lawFirm := x.admit(lawyer, staff, lawOrg, "赵律", "law_firm")

	// A product on one of the provider's resources, listed after double vetting.
	resource, items := x.resourceWithRows(providerEditor, providerOrg)
	offered := items[:2]
	var profile struct{ ID string }
	x.call("POST", "/resources/"+resource+"/deid-profiles", providerEditor, map[string]any{"name": "交易样例",
		"profile": map[string]any{"columns": map[string]any{items[2]: map[string]any{"op": "redact"}}, "k": 1, "max_suppression": 0,
			"quasi_identifiers": []string{}}}, http.StatusCreated, &profile)
	const purpose = "商圈选址分析"
	const calls = 3
	var product struct {
		ID, Hash, Status string
	}
	x.call("POST", "/exchange/products", providerEditor, map[string]any{"provider_id": provider, "title": "公共数据产品（端到端）",
		"description": "按日汇总", "use_scenarios": []string{purpose}, "source": "self_collected", "source_note": "本单位业务系统采集",
		"legal_basis": "《京华市公共数据管理办法》", "resource_ids": []string{resource}, "sample_deid_profile": profile.ID,
		"delivery": []string{"api"}, "price": map[string]any{"model": "one_off", "amount_fen": 120000},
		"offer": map[string]any{"id": "", "onward_transfer": false, "policy": map[string]any{"purposes": []string{purpose}, "fields": offered, "max_calls": calls},
			"period_days": 90, "auto_agree": true}}, http.StatusCreated, &product)
	var listing struct{ ID string }
	x.call("POST", "/exchange/products/"+product.ID+"/submit", providerEditor, map[string]any{"law_firm_id": lawFirm}, http.StatusOK, &listing)
	var checklist struct{ Items []struct{ Key string } }
	x.call("GET", "/exchange/checklist", staff, nil, http.StatusOK, &checklist)
	ticks := map[string]bool{}
	for _, it := range checklist.Items {
		ticks[it.Key] = true
	}
	for _, reviewer := range []string{staff, lawyer} {
		x.call("POST", "/exchange/listings/"+listing.ID+"/checklist", reviewer, map[string]any{"items": ticks}, http.StatusOK, nil)
		x.call("POST", "/exchange/listings/"+listing.ID+"/review", reviewer, map[string]string{"decision": "approve", "comment": "符合挂牌条件"},
			http.StatusOK, nil)
	}
	x.call("GET", "/exchange/products/"+product.ID, buyer, nil, http.StatusOK, &product)
	if product.Status != "listed" {
		t.Fatalf("product after double vetting: %s", product.Status)
	}

	// Its registration certificate.
	var reg struct{ ID, Number string }
	x.call("POST", "/exchange/registrations", providerEditor, map[string]any{"type": "initial", "product_id": product.ID,
		"rights": []string{"holding", "operation"}, "statement": "本单位自采数据"}, http.StatusCreated, &reg)
	x.call("POST", "/exchange/registrations/"+reg.ID+"/review", staff, map[string]string{"decision": "approve", "comment": "登记材料齐全"},
		http.StatusOK, &reg)
	var cert struct {
		Number      string `json:"number"`
		ProductHash string `json:"product_hash"`
		Holder      struct {
			ParticipantID string `json:"participant_id"`
		} `json:"holder"`
	}
	x.call("GET", "/exchange/certificates/"+reg.Number, "", nil, http.StatusOK, &cert)
	if cert.Number == "" || cert.ProductHash != product.Hash || cert.Holder.ParticipantID != provider {
		t.Errorf("certificate %+v of product %s (hash %s)", cert, product.ID, product.Hash)
	}

	// Order: agreed at once (the request matches the offer), verified: a contract with a delivery grant.
	var n struct {
		ID         string `json:"id"`
		State      string `json:"state"`
		ContractID string `json:"contract_id"`
	}
	x.call("POST", "/exchange/negotiations", buyer, map[string]any{"product_id": product.ID, "purpose": purpose}, http.StatusCreated, &n)
	if n.State != "AGREED" || n.ContractID == "" {
		t.Fatalf("order: %+v", n)
	}
	x.call("POST", "/exchange/negotiations/"+n.ID+"/verify", buyer, nil, http.StatusOK, &n)
	if n.State != "FINALIZED" {
		t.Fatalf("after verification: %+v", n)
	}
	var contract struct {
		ID, Hash, Status string
		GrantID          string `json:"grant_id"`
	}
	x.call("GET", "/exchange/contracts/"+n.ContractID, buyer, nil, http.StatusOK, &contract)
	if contract.GrantID == "" || contract.Status != "active" {
		t.Fatalf("contract: %+v", contract)
	}

	// Reads through the row API within the contract's fields and count; one more is refused.
	var transfer struct{ ID, State string }
	x.call("POST", "/exchange/contracts/"+contract.ID+"/transfers", buyer, map[string]any{}, http.StatusCreated, &transfer)
	var address struct {
		Endpoint, Token, Header string
	}
	x.call("POST", "/exchange/transfers/"+transfer.ID+"/data-address", buyer, nil, http.StatusOK, &address)
	for i := range calls {
		var page struct {
			Fields []struct{ ID string }
			Rows   [][]any
		}
		x.callWith("GET", address.Endpoint+"?limit=5", "", address.Token, nil, http.StatusOK, &page)
		var names []string
		for _, f := range page.Fields {
			if !strings.HasPrefix(f.ID, "_") { // the row's own id
				names = append(names, f.ID)
			}
		}
		if len(page.Rows) == 0 || len(page.Rows[0]) != len(page.Fields) || !slices.Equal(names, offered) {
			t.Fatalf("read %d: fields %v (the contract's: %v), %d rows", i+1, names, offered, len(page.Rows))
		}
	}
	x.callWith("GET", address.Endpoint+"?limit=5", "", address.Token, nil, http.StatusForbidden, nil)
	x.call("GET", "/resources/"+resource+"/rows", outsider, nil, http.StatusForbidden, nil)

	// Settlement and rating.
	x.call("POST", "/exchange/transfers/"+transfer.ID+"/complete", buyer, map[string]any{}, http.StatusOK, nil)
	x.call("POST", "/exchange/contracts/"+contract.ID+"/settlement", providerEditor, nil, http.StatusCreated, nil)
	x.call("POST", "/exchange/contracts/"+contract.ID+"/rating", buyer, map[string]any{"stars": 4, "comment": "数据及时"}, http.StatusCreated, nil)

	x.dispute(contract.ID, buyer, providerAdmin, staff, arbitrator, outsider)
}

// dispute opens a dispute on the contract as the buyer, checks its
// evidence with the binary (offline, with the log's key pinned), changes
// one byte of the contract in the bundle and sees the verifier name the
// file; then mediation fails, arbitration decides, and the dispute's
// record verifies too.
func (x *exchangeRun) dispute(contractID, buyer, provider, staff, arbitrator, outsider string) {
	t := x.t
	var d struct {
		ID             string `json:"id"`
		Status         string `json:"status"`
		EvidenceSHA256 string `json:"evidence_sha256"`
	}
	x.call("POST", "/exchange/contracts/"+contractID+"/disputes", buyer, map[string]any{"claim": "交付字段与合同不符，请求退还部分价款。"},
		http.StatusCreated, &d)
	if d.Status != "open" || len(d.EvidenceSHA256) != 64 {
		t.Fatalf("dispute: %+v", d)
	}
	x.call("GET", "/exchange/disputes/"+d.ID, outsider, nil, http.StatusNotFound, nil)
	x.call("GET", "/exchange/contracts/"+contractID+"/evidence", outsider, nil, http.StatusNotFound, nil)
	key := strings.TrimSpace(string(x.call("GET", x.s.url+"/ledger/key", "", nil, http.StatusOK, nil)))
	dir := t.TempDir()

	evidence := x.call("GET", "/exchange/disputes/"+d.ID+"/evidence", provider, nil, http.StatusOK, nil)
	good := filepath.Join(dir, "evidence.zip")
	os.WriteFile(good, evidence, 0o644)
	out, code := dataportCLI(t, nil, "ledger", "verify", "--bundle", good, "--key", key)
	if code != 0 || !strings.Contains(out, "document contract.json: SHA-256 ") || !strings.Contains(out, "is the contract_sha256 sealed in event") ||
		!strings.Contains(out, "document usage.json") || !strings.Contains(out, "exchange.contract.rated") || !strings.HasSuffix(out, "OK\n") {
		t.Fatalf("ledger verify --bundle of the dispute's evidence: exit %d\n%s", code, out)
	}
	t.Logf("dataport ledger verify --bundle:\n%s", out)

	changed := bytes.Clone(evidence)
	changed[dataOffset(t, changed, "contract.json")+5] ^= 0x20
	bad := filepath.Join(dir, "changed.zip")
	os.WriteFile(bad, changed, 0o644)
	out, code = dataportCLI(t, nil, "ledger", "verify", "--bundle", bad, "--key", key)
	if code == 0 || !strings.Contains(out, "FAIL contract.json: ") {
		t.Fatalf("a changed byte in contract.json: exit %d\n%s", code, out)
	}

	whole := x.call("GET", "/exchange/contracts/"+contractID+"/evidence", buyer, nil, http.StatusOK, nil)
	os.WriteFile(good, whole, 0o644)
	if out, code := dataportCLI(t, nil, "ledger", "verify", "--bundle", good, "--key", key); code != 0 {
		t.Fatalf("the contract's evidence: exit %d\n%s", code, out)
	}

	x.call("POST", "/exchange/disputes/"+d.ID+"/mediate", staff, map[string]any{"note": "线上调解"}, http.StatusOK, &d)
	x.call("POST", "/exchange/disputes/"+d.ID+"/escalate", arbitrator, map[string]any{"reasons": "调解未达成一致"}, http.StatusOK, &d)
	x.call("POST", "/exchange/disputes/"+d.ID+"/decide", arbitrator, map[string]any{"outcome": "partly_upheld",
		"reasons": "部分字段缺失属实，退还三成价款。"}, http.StatusOK, &d)
	if d.Status != "decided" {
		t.Fatalf("after the award: %+v", d)
	}
	record := x.call("GET", "/exchange/disputes/"+d.ID+"/bundle", buyer, nil, http.StatusOK, nil)
	os.WriteFile(good, record, 0o644)
	out, code = dataportCLI(t, nil, "ledger", "verify", "--bundle", good, "--key", key)
	if code != 0 || !strings.Contains(out, "document evidence.zip: SHA-256 "+d.EvidenceSHA256+" is the bundle_sha256") ||
		!strings.Contains(out, "exchange.dispute.decided") {
		t.Fatalf("the dispute's record: exit %d\n%s", code, out)
	}
}
