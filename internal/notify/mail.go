package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"dataport/internal/store"

	"github.com/wneessen/go-mail"
)

// SMTP is how the e-mail sender reaches the mail server.
type SMTP struct {
	Host     string
	Port     int    // default 587 (25 with TLS "none")
	TLS      string // "starttls" (default: required), "tls" (implicit, port 465), "none" (a relay on the local network)
	Username string // with Password: SMTP AUTH PLAIN; empty: no authentication
	Password string
	From     string // the sender address, e.g. "数据平台 <noreply@data.example.gov.cn>"
}

// ParseSMTP reads a mail server URL: smtp://user@host:587?from=noreply@x
// (STARTTLS required), smtps://host:465 (implicit TLS), or
// smtp://host:25?tls=none. The password comes separately so that it never
// sits in a command line.
func ParseSMTP(raw, password string) (SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SMTP{}, fmt.Errorf("smtp: %w", err)
	}
	s := SMTP{Host: u.Hostname(), TLS: "starttls", Password: password, From: u.Query().Get("from")}
	switch u.Scheme {
	case "smtp":
		if t := u.Query().Get("tls"); t != "" {
			s.TLS = t
		}
	case "smtps":
		s.TLS = "tls"
	default:
		return SMTP{}, fmt.Errorf("smtp: scheme %q: want smtp or smtps", u.Scheme)
	}
	if s.TLS != "starttls" && s.TLS != "tls" && s.TLS != "none" {
		return SMTP{}, fmt.Errorf("smtp: tls=%q: want starttls, tls or none", s.TLS)
	}
	if u.User != nil {
		s.Username = u.User.Username()
		if p, ok := u.User.Password(); ok && s.Password == "" {
			s.Password = p
		}
	}
	if p := u.Port(); p != "" {
		if s.Port, err = strconv.Atoi(p); err != nil || s.Port <= 0 || s.Port > 65535 {
			return SMTP{}, fmt.Errorf("smtp: port %q", p)
		}
	}
	if s.Host == "" || s.From == "" {
		return SMTP{}, errors.New("smtp: the URL needs a host and ?from=address")
	}
	if err := mail.NewMsg().From(s.From); err != nil {
		return SMTP{}, fmt.Errorf("smtp: from: %w", err)
	}
	return s, nil
}

// Letter is what a notice says by e-mail, already in words.
type Letter struct{ Subject, Body string }

// Words turns a notice into a letter: the kind and the page's absolute
// URL in, the text out (the wiring gives it the UI's translations).
type Words func(kind, link string) Letter

// MailerConfig configures the e-mail sender.
type MailerConfig struct {
	SMTP      SMTP
	PublicURL string // makes the notices' links absolute
	Words     Words
	Log       *slog.Logger
	// Batch is how many pending e-mails one run sends at most (default 200).
	Batch int
	// Attempts is how many times a delivery is tried before it is kept as
	// failed (default 8: about a day of backoff).
	Attempts int
	// Timeout bounds one run's connection to the mail server (default 30 s).
	Timeout time.Duration
}

// Mailer delivers the outbox's e-mail: run by the job runner every
// minute, it sends each pending notice to its user's address, marks it sent,
// skips users without an address, and tries a failed delivery again after
// a growing backoff until its last attempt. A crash between sending and
// marking may send one e-mail twice; none is lost.
type Mailer struct {
	db  *store.DB
	cfg MailerConfig
}

// NewMailer returns the e-mail sender of db's outbox.
func NewMailer(db *store.DB, cfg MailerConfig) *Mailer {
	if cfg.Batch <= 0 {
		cfg.Batch = 200
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 8
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	return &Mailer{db: db, cfg: cfg}
}

// Delivery statuses of an outbox row.
const (
	OutboxPending = "pending" // waiting for its first or next attempt
	OutboxSent    = "sent"
	OutboxSkipped = "skipped" // the user has no e-mail address
	OutboxFailed  = "failed"  // every attempt failed; last_error says why
)

// Tally counts what one run did.
type Tally struct{ Sent, Skipped, Retried, Failed int }

type outgoing struct {
	id, kind, link, email string
	attempts              int
}

// Deliver sends what is due at now.
func (m *Mailer) Deliver(ctx context.Context, now time.Time) (Tally, error) {
	var t Tally
	due, err := m.due(ctx, now)
	if err != nil || len(due) == 0 {
		return t, err
	}
	var msgs []*mail.Msg
	var sending []outgoing
	for _, o := range due {
		if o.email == "" {
			t.Skipped++
			if err := m.mark(ctx, o.id, OutboxSkipped, now, 0, ""); err != nil {
				return t, err
			}
			continue
		}
		msg, err := m.letter(o)
		if err != nil { // an address the mail library refuses: no attempt can succeed
			t.Failed++
			if err := m.mark(ctx, o.id, OutboxFailed, now, o.attempts+1, err.Error()); err != nil {
				return t, err
			}
			continue
		}
		msgs, sending = append(msgs, msg), append(sending, o)
	}
	if len(msgs) == 0 {
		return t, nil
	}
	dialErr := m.send(ctx, msgs)
	for i, o := range sending {
		why := dialErr
		if why == nil && msgs[i].HasSendError() {
			why = msgs[i].SendError()
		}
		if why == nil {
			t.Sent++
			if err := m.mark(ctx, o.id, OutboxSent, now, o.attempts+1, ""); err != nil {
				return t, err
			}
			continue
		}
		status, attempts := OutboxPending, o.attempts+1
		if attempts >= m.cfg.Attempts {
			status = OutboxFailed
			t.Failed++
		} else {
			t.Retried++
		}
		if err := m.mark(ctx, o.id, status, now.Add(backoff(attempts)), attempts, reason(why)); err != nil {
			return t, err
		}
	}
	if t.Retried+t.Failed > 0 {
		m.cfg.Log.Warn("mail: deliveries failed", "retry", t.Retried, "failed", t.Failed, "err", reason(dialErr))
	}
	return t, nil
}

// due reads the pending e-mails whose attempt is due, oldest first.
func (m *Mailer) due(ctx context.Context, now time.Time) ([]outgoing, error) {
	rows, err := m.db.QueryContext(ctx, `SELECT o.id, n.kind, n.link, u.email, o.attempts
		FROM notification_outbox o JOIN notifications n ON n.id = o.notification_id JOIN users u ON u.id = n.user_id
		WHERE o.channel = 'email' AND o.status = $1 AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= $2)
		ORDER BY o.created_at, o.id LIMIT $3`, OutboxPending, store.TS(now), m.cfg.Batch)
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	defer rows.Close()
	var out []outgoing
	for rows.Next() {
		var o outgoing
		if err := rows.Scan(&o.id, &o.kind, &o.link, &o.email, &o.attempts); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// letter words o as a message to its user.
func (m *Mailer) letter(o outgoing) (*mail.Msg, error) {
	link := o.link
	if strings.HasPrefix(link, "/") {
		link = m.cfg.PublicURL + link
	}
	l := m.cfg.Words(o.kind, link)
	msg := mail.NewMsg()
	if err := msg.From(m.cfg.SMTP.From); err != nil {
		return nil, err
	}
	if err := msg.To(o.email); err != nil {
		return nil, err
	}
	msg.Subject(l.Subject)
	msg.SetMessageIDWithValue(o.id + "@dataport")
	msg.SetDate()
	msg.SetBodyString(mail.TypeTextPlain, l.Body)
	return msg, nil
}

// send delivers msgs over one connection. It returns an error when no
// connection could be made; each message that could not be sent holds its
// own error (Msg.SendError).
func (m *Mailer) send(ctx context.Context, msgs []*mail.Msg) error {
	s := m.cfg.SMTP
	opts := []mail.Option{mail.WithTimeout(m.cfg.Timeout), mail.WithHELO(helo(m.cfg.PublicURL))}
	switch s.TLS {
	case "tls":
		opts = append(opts, mail.WithSSLPort(false))
	case "none":
		opts = append(opts, mail.WithTLSPortPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPortPolicy(mail.TLSMandatory))
	}
	if s.Port != 0 {
		opts = append(opts, mail.WithPort(s.Port))
	}
	if s.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(s.Username), mail.WithPassword(s.Password))
	}
	c, err := mail.NewClient(s.Host, opts...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	conn, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return err
	}
	err = c.SendWithSMTPClient(conn, msgs...) // each message that failed holds its error
	_ = c.CloseWithSMTPClient(conn)           // what was accepted before a failed QUIT is sent
	if err != nil && !slices.ContainsFunc(msgs, (*mail.Msg).HasSendError) {
		return err // the connection failed before any message
	}
	return nil
}

// mark records a delivery's outcome; next is when a pending one is tried again.
func (m *Mailer) mark(ctx context.Context, id, status string, next time.Time, attempts int, why string) error {
	var sentAt any
	if status == OutboxSent {
		sentAt = store.TS(next)
	}
	_, err := m.db.ExecContext(ctx, `UPDATE notification_outbox SET status = $1, attempts = $2, next_attempt_at = $3, last_error = $4,
		sent_at = $5 WHERE id = $6`, status, attempts, store.TS(next), why, sentAt, id)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	return nil
}

// backoff is the wait after the nth failed attempt: 1, 4, 16 minutes …
// up to 6 hours.
func backoff(n int) time.Duration {
	d := time.Minute
	for i := 1; i < n && d < 6*time.Hour; i++ {
		d *= 4
	}
	return min(d, 6*time.Hour)
}

// reason is an error as kept in the outbox: one line, at most 300 bytes,
// without the recipient's address (a mail server often names it).
func reason(err error) string {
	if err == nil {
		return ""
	}
	s := strings.Join(strings.Fields(err.Error()), " ")
	for _, f := range strings.Fields(s) {
		if strings.Contains(f, "@") {
			s = strings.ReplaceAll(s, f, "<address>")
		}
	}
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

// helo is the name the sender greets the mail server with: the public
// host, or localhost.
func helo(publicURL string) string {
	if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" {
		if net.ParseIP(u.Hostname()) == nil {
			return u.Hostname()
		}
	}
	return "localhost"
}
