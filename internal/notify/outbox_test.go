package notify_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestOutbox: the operators and sysadmins read the deliveries, newest
// first, with their kind and status and no recipient; nobody else does.
func TestOutbox(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := identity.NewService(db)
		withMail := newUser(t, ids, "lin.ruoxi", "lin.ruoxi@jhjt.gov.cn")
		noMail := newUser(t, ids, "zhou.min", "")
		send(t, db, "share.submitted", withMail)
		send(t, db, "open.granted", noMail)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln.Close() // nothing listens there now: lin.ruoxi's waits for another try; zhou.min has no address
		cfg, _ := notify.ParseSMTP("smtp://"+ln.Addr().String()+"?tls=none&from=noreply@data.jinghua.gov.cn", "")
		m := notify.NewMailer(db, notify.MailerConfig{SMTP: cfg, Words: words, Timeout: 5 * time.Second})
		if _, err := m.Deliver(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
		svc := notify.NewService(db)
		for _, test := range []struct {
			name string
			p    identity.Principal
			want error
		}{
			{"anonymous", identity.Anonymous, identity.ErrUnauthenticated},
			{"a plain user", identity.Principal{UserID: withMail}, identity.ErrForbidden},
			{"an auditor", identity.Principal{UserID: "a", PlatformRoles: []identity.PlatformRole{identity.PlatformAuditor}}, identity.ErrForbidden},
		} {
			if _, err := svc.Outbox(ctx, test.p, 10); !errors.Is(err, test.want) {
				t.Errorf("%s: err = %v, want %v", test.name, err, test.want)
			}
		}
		operator := identity.Principal{UserID: "op", PlatformRoles: []identity.PlatformRole{identity.PlatformOperator}}
		got, err := svc.Outbox(ctx, operator, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Kind != "open.granted" || got[0].Status != notify.OutboxSkipped || got[1].Kind != "share.submitted" ||
			got[1].Status != notify.OutboxPending || got[1].Attempts != 1 || got[1].NextAttempt == nil || got[1].LastError == "" {
			t.Fatalf("outbox: %+v", got)
		}
		if s := fmt.Sprintf("%+v", got); strings.Contains(s, "lin.ruoxi") || strings.Contains(s, withMail) || strings.Contains(s, noMail) {
			t.Errorf("the outbox names a recipient: %s", s)
		}
		if got, _ := svc.Outbox(ctx, identity.System, 1); len(got) != 1 {
			t.Errorf("limit 1 gave %d rows", len(got))
		}
	})
}
