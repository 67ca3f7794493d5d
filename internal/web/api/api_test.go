package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/web/api"
	"dataport/internal/web/services"
)

// fixture is an API server on a real store with an institution, an editor,
// an operator and a sysadmin, each with a token.
type fixture struct {
	t                        *testing.T
	db                       *store.DB
	srv                      *httptest.Server
	orgID, otherOrgID        string
	editor, operator, sysadm string // tokens
	outsider                 string // token of a user with no roles
	draftID, submittedID     string
	editorID                 string
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	ids, cat := identity.NewService(db), catalog.NewService(db)
	f := &fixture{t: t, db: db}
	org := must(ids.CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindInstitution, NameZh: "市交通委员会", USCC: usccFor("11110000MB0143281"), Code: "JTW"}))
	other := must(ids.CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindInstitution, NameZh: "市卫生健康委员会", USCC: usccFor("11110000MB0154321"), Code: "WJW"}))
	f.orgID, f.otherOrgID = org.ID, other.ID
	user := func(name string, roles []identity.PlatformRole, ms []identity.Membership) (string, string) {
		u := must(ids.CreateUser(ctx, identity.System, identity.UserInput{Username: name, DisplayName: name, Password: "correct horse battery", PlatformRoles: roles, Memberships: ms}))
		secret, _, err := ids.CreateToken(ctx, identity.System, u.ID, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return secret, u.ID
	}
	f.editor, f.editorID = user("editor", nil, []identity.Membership{{OrganizationID: org.ID, Role: identity.RoleEditor}})
	f.operator, _ = user("operator", []identity.PlatformRole{identity.PlatformOperator}, nil)
	f.sysadm, _ = user("root", []identity.PlatformRole{identity.PlatformSysadmin}, nil)
	f.outsider, _ = user("citizen", nil, nil)
	editorP := must(ids.Principal(ctx, f.editorID))
	f.draftID = must(cat.Create(ctx, editorP, org.ID, validInput())).ID
	sub := must(cat.Create(ctx, editorP, org.ID, validInput()))
	must(cat.Submit(ctx, editorP, sub.ID))
	f.submittedID = sub.ID
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.srv = httptest.NewServer((mount(api.New(api.Config{Version: "test", Services: services.Services{Identity: ids, Catalog: cat, Log: log}}))))
	t.Cleanup(f.srv.Close)
	return f
}

func mount(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(api.Prefix+"/", h)
	return mux
}

func usccFor(first17 string) string {
	c, err := identity.USCCCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(c)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func validInput() catalog.Input {
	return catalog.Input{
		TitleZh: "公交线路基本信息", TitleEn: "Bus routes", DescriptionZh: "全市公交线路的编号、名称和首末班时间。",
		Subject: "04", Industry: "G", Keywords: []string{"公交"}, Formats: []string{"CSV"},
		Items:           []catalog.Item{{Name: "line_no", LabelZh: "线路编号", Type: catalog.TypeText, Required: true, Key: true}},
		UpdateFrequency: catalog.FreqMonthly, ShareType: catalog.ShareUnconditional, OpenType: catalog.OpenUnconditional,
		Classification: catalog.ClassGeneral, Level: 1,
	}
}

// do sends a JSON request with token (may be empty) and decodes the response into out.
func (f *fixture) do(method, path, token string, body any, out any) int {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
	}
	req, _ := http.NewRequest(method, f.srv.URL+api.Prefix+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			f.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	if resp.StatusCode >= 400 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		f.t.Errorf("%s %s: error %d served as %q, want application/problem+json", method, path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode
}

// state summarises every table, so a test can assert that nothing changed.
func (f *fixture) state() string {
	f.t.Helper()
	var b strings.Builder
	for _, table := range []string{"organizations", "users", "user_platform_roles", "memberships", "api_tokens", "resources", "resource_versions", "catalog_sequences", "events"} {
		var n int
		if err := f.db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
			f.t.Fatal(err)
		}
		b.WriteString(table + "=" + strconv.Itoa(n) + " ")
	}
	var versions, revoked int
	f.db.QueryRow(`SELECT COALESCE(SUM(version), 0) FROM resources`).Scan(&versions)
	f.db.QueryRow(`SELECT count(*) FROM api_tokens WHERE revoked_at IS NOT NULL`).Scan(&revoked)
	var orgNames string
	rows, _ := f.db.Query(`SELECT name_zh FROM organizations ORDER BY id`)
	for rows.Next() {
		var n string
		rows.Scan(&n)
		orgNames += n + ","
	}
	rows.Close()
	b.WriteString("versions=" + strconv.Itoa(versions) + " revoked=" + strconv.Itoa(revoked) + " orgs=" + orgNames)
	return b.String()
}

type problemBody struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
	} `json:"errors"`
}

func (p problemBody) locations() []string {
	out := []string{}
	for _, e := range p.Errors {
		out = append(out, e.Location)
	}
	return out
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func jsonUnmarshal(b []byte, v any) { json.Unmarshal(b, v) }
