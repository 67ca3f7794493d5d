package notify_test

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/store"
	"dataport/internal/store/storetest"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// mailServer is a real SMTP server (emersion/go-smtp) on loopback that
// keeps what it accepts and refuses recipients named "bounce…".
type mailServer struct {
	addr string
	mu   sync.Mutex
	got  []received
}

type received struct {
	from string
	to   []string
	data string
}

func startMailServer(t *testing.T) *mailServer {
	t.Helper()
	ms := &mailServer{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{ms: ms}, nil }))
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ms
}

func (ms *mailServer) messages() []received {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]received(nil), ms.got...)
}

type session struct {
	ms   *mailServer
	auth bool
	cur  received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "dataport" || pass != "mail secret" {
			return errors.New("bad credentials")
		}
		s.auth = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if !s.auth {
		return smtp.ErrAuthRequired
	}
	s.cur = received{from: from}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "bounce") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user " + to}
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = string(b)
	s.ms.mu.Lock()
	s.ms.got = append(s.ms.got, s.cur)
	s.ms.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }

// parse decodes a received message's subject and body.
func parse(t *testing.T, data string) (subject, body string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	return subject, strings.TrimSpace(string(b))
}

// words is the test's wording of notices.
func words(kind, link string) notify.Letter {
	return notify.Letter{Subject: "数据平台通知：" + kind, Body: "请处理 / Please see: " + link}
}

// outbox is one user's e-mail outbox rows: status, attempts, last error.
type outboxRow struct {
	status, lastError string
	attempts          int
}

func outbox(t *testing.T, db *store.DB, userID string) []outboxRow {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `SELECT o.status, o.attempts, o.last_error FROM notification_outbox o
		JOIN notifications n ON n.id = o.notification_id WHERE n.user_id = $1 ORDER BY o.created_at`, userID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		if err := rows.Scan(&r.status, &r.attempts, &r.lastError); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func newUser(t *testing.T, ids *identity.Service, name, email string) string {
	t.Helper()
	u, err := ids.CreateUser(context.Background(), identity.System, identity.UserInput{Username: name, DisplayName: name, Email: email,
		Password: "a long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func send(t *testing.T, db *store.DB, kind string, users ...string) {
	t.Helper()
	if err := db.Transact(context.Background(), func(tx *store.Tx) error {
		return notify.Send(context.Background(), tx, kind, "share_request", "r1", "/share-requests/r1", notify.To{Users: users})
	}); err != nil {
		t.Fatal(err)
	}
}

func TestMailerDeliversTheOutbox(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ms := startMailServer(t)
		ids := identity.NewService(db)
		withMail := newUser(t, ids, "lin.ruoxi", "lin.ruoxi@jhjt.gov.cn")
		noMail := newUser(t, ids, "zhou.min", "")
		bounce := newUser(t, ids, "wang.lei", "bounce.wang@jhjt.gov.cn")
		send(t, db, "share.submitted", withMail, noMail)

		cfg, err := notify.ParseSMTP("smtp://dataport@"+ms.addr+"?tls=none&from=noreply@data.jinghua.gov.cn", "mail secret")
		if err != nil {
			t.Fatal(err)
		}
		m := notify.NewMailer(db, notify.MailerConfig{SMTP: cfg, PublicURL: "https://data.jinghua.gov.cn/", Words: words, Attempts: 3})
		now := time.Now()
		tally, err := m.Deliver(ctx, now)
		if err != nil || tally.Sent != 1 || tally.Skipped != 1 {
			t.Fatalf("first run: %+v, %v", tally, err)
		}
		got := ms.messages()
		if len(got) != 1 || len(got[0].to) != 1 || got[0].to[0] != "lin.ruoxi@jhjt.gov.cn" || got[0].from != "noreply@data.jinghua.gov.cn" {
			t.Fatalf("server received %+v", got)
		}
		if subject, body := parse(t, got[0].data); subject != "数据平台通知：share.submitted" || body != "请处理 / Please see: https://data.jinghua.gov.cn/share-requests/r1" {
			t.Errorf("subject %q, body %q", subject, body)
		}
		if r := outbox(t, db, withMail); len(r) != 1 || r[0].status != notify.OutboxSent {
			t.Errorf("outbox of the user with an address: %+v", r)
		}
		if r := outbox(t, db, noMail); len(r) != 1 || r[0].status != notify.OutboxSkipped {
			t.Errorf("outbox of the user without one: %+v", r)
		}
		if tally, err := m.Deliver(ctx, now.Add(time.Minute)); err != nil || tally != (notify.Tally{}) || len(ms.messages()) != 1 {
			t.Fatalf("second run sent again: %+v, %v", tally, err)
		}

		// A refused recipient is tried again after a backoff, then kept as failed
		// with the reason, without the address; the others still go out.
		send(t, db, "share.granted", bounce, withMail)
		tally, err = m.Deliver(ctx, now)
		if err != nil || tally.Sent != 1 || tally.Retried != 1 {
			t.Fatalf("run with a bounce: %+v, %v", tally, err)
		}
		r := outbox(t, db, bounce)
		if len(r) != 1 || r[0].status != notify.OutboxPending || r[0].attempts != 1 || !strings.Contains(r[0].lastError, "550") ||
			strings.Contains(r[0].lastError, "bounce.wang") {
			t.Fatalf("bounced row: %+v", r)
		}
		if tally, _ := m.Deliver(ctx, now.Add(30*time.Second)); tally.Retried != 0 {
			t.Errorf("retried before the backoff: %+v", tally)
		}
		at := now
		for i := range 2 {
			at = at.Add(7 * time.Hour)
			if tally, err := m.Deliver(ctx, at); err != nil || tally.Retried+tally.Failed != 1 {
				t.Fatalf("retry %d: %+v, %v", i, tally, err)
			}
		}
		if r := outbox(t, db, bounce); r[0].status != notify.OutboxFailed || r[0].attempts != 3 {
			t.Errorf("after the last attempt: %+v", r)
		}
	})
}

func TestMailerKeepsTheOutboxWhenTheServerIsDown(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now
		user := newUser(t, identity.NewService(db), "lin.ruoxi", "lin.ruoxi@jhjt.gov.cn")
		send(t, db, "open.granted", user)
		cfg, _ := notify.ParseSMTP("smtp://"+addr+"?tls=none&from=noreply@data.jinghua.gov.cn", "")
		m := notify.NewMailer(db, notify.MailerConfig{SMTP: cfg, Words: words, Timeout: 5 * time.Second})
		tally, err := m.Deliver(ctx, time.Now())
		if err != nil || tally.Retried != 1 || tally.Sent != 0 {
			t.Fatalf("run with the server down: %+v, %v", tally, err)
		}
		if r := outbox(t, db, user); len(r) != 1 || r[0].status != notify.OutboxPending || r[0].lastError == "" {
			t.Errorf("outbox: %+v", r)
		}
	})
}

func TestParseSMTP(t *testing.T) {
	for _, c := range []struct {
		url  string
		want notify.SMTP
		bad  bool
	}{
		{url: "smtp://mailer@mail.jinghua.gov.cn:587?from=noreply@data.jinghua.gov.cn",
			want: notify.SMTP{Host: "mail.jinghua.gov.cn", Port: 587, TLS: "starttls", Username: "mailer", Password: "pw", From: "noreply@data.jinghua.gov.cn"}},
		{url: "smtps://mail.jinghua.gov.cn?from=noreply@data.jinghua.gov.cn",
			want: notify.SMTP{Host: "mail.jinghua.gov.cn", TLS: "tls", Password: "pw", From: "noreply@data.jinghua.gov.cn"}},
		{url: "smtp://10.0.0.5:25?tls=none&from=noreply@x.cn", want: notify.SMTP{Host: "10.0.0.5", Port: 25, TLS: "none", Password: "pw", From: "noreply@x.cn"}},
		{url: "http://mail.example?from=a@b.cn", bad: true},
		{url: "smtp://mail.example", bad: true},                       // no sender
		{url: "smtp://mail.example?from=not-an-address", bad: true},   // bad sender
		{url: "smtp://mail.example?tls=maybe&from=a@b.cn", bad: true}, // unknown TLS mode
		{url: "smtp://mail.example:99999?from=a@b.cn", bad: true},     // port out of range
		{url: "smtp://:25?from=a@b.cn", bad: true},                    // no host
	} {
		got, err := notify.ParseSMTP(c.url, "pw")
		if c.bad {
			if err == nil {
				t.Errorf("%s: accepted as %+v", c.url, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: %+v, %v; want %+v", c.url, got, err, c.want)
		}
	}
}
