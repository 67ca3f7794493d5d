package ui_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"dataport/internal/notify"
	"dataport/internal/store"
)

// TestOutboxPage: the operator sees each delivery's notice and status and
// whether e-mail goes out, never a recipient's address or name; others are
// refused.
func TestOutboxPage(t *testing.T) {
	d := newDeskPortal(t, false)
	if err := d.db.Transact(context.Background(), func(tx *store.Tx) error {
		return notify.Send(context.Background(), tx, "share.reminded", "share_request", "r1", "/share-requests/r1", notify.To{Users: []string{d.citizen}})
	}); err != nil {
		t.Fatal(err)
	}
	if pg := d.browser().get("/admin/outbox"); pg.url != "/login?next=%2Fadmin%2Foutbox" {
		t.Errorf("anonymous: ended at %s (%d)", pg.url, pg.status)
	}
	for _, name := range []string{"citizen.zhou", "editor.li"} {
		b := d.browser()
		b.login(name)
		mustStatus(t, b.get("/admin/outbox"), http.StatusForbidden)
	}
	operator := d.browser()
	operator.login("operator.wang")
	pg := operator.get("/admin/outbox")
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "邮件发件箱", "未配置 SMTP 邮件服务器", "共享申请即将到期，请尽快审核", "share.reminded", "待发送")
	for _, personal := range []string{"zhou.citizen@example.cn", "citizen.zhou", "周市民", d.citizen} {
		if strings.Contains(pg.body, personal) {
			t.Errorf("the outbox page shows %q", personal)
		}
	}
	if !strings.Contains(operator.get("/account").body, `href="/admin/outbox"`) {
		t.Error("the operator's account page does not link the outbox")
	}

	on := newDeskPortal(t, true).browser()
	on.login("operator.wang")
	pg = on.get("/admin/outbox")
	mustContain(t, pg, "已配置 SMTP 邮件服务器", "发件箱是空的")
}
