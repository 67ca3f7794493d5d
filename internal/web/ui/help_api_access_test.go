package ui_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestAPIAccessHelp: anyone reads, in Chinese and in English, how account
// tokens and per-grant API keys differ, with the headers each is sent in
// and the rate fields; the account page and the API documentation link it.
func TestAPIAccessHelp(t *testing.T) {
	d := newDeskPortal(t, false)
	b := d.browser()
	pg := b.get("/help/api-access")
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "账户令牌与接口密钥", "Authorization: Bearer dp_", "X-Dataport-Key: dpk_", "RateLimit-Policy", "Dataport-Quota-Remaining",
		`href="/api/v1/docs"`)
	b.get("/lang?to=en&next=/help/api-access")
	pg = b.get("/help/api-access")
	mustContain(t, pg, "Account tokens and API keys", "acts for one grant only", "Retry-After")
	if strings.Contains(pg.body, "账户令牌与接口密钥") {
		t.Error("the English page is in Chinese")
	}
	b = d.browser()
	b.login("citizen.zhou")
	if !strings.Contains(b.get("/account").body, `href="/help/api-access"`) {
		t.Error("the account page does not link the tokens and keys page")
	}
}
