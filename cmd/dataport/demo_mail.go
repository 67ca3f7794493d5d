package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// The demo's console mailbox. Without --smtp-url the demo still e-mails
// its notices — confirmation and password-reset links among them — through
// the real mail sender, to a mail server of its own on loopback that prints
// each letter on the demo's standard output, as a developer's mail catcher
// does. So a person trying the demo can register and follow the link.
// serve never does this: there, notices without a mail server wait in the
// outbox.

// startConsoleMailbox starts the mailbox on a free loopback port and returns
// the --smtp-url that reaches it and a function that stops it.
func startConsoleMailbox(w io.Writer) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("demo mailbox: %w", err)
	}
	box := &consoleMailbox{w: w}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &consoleSession{box: box}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 1 << 20
	go srv.Serve(ln)
	return "smtp://" + ln.Addr().String() + "?tls=none&from=noreply@jinghua.example", func() { srv.Close() }, nil
}

type consoleMailbox struct {
	mu sync.Mutex
	w  io.Writer
}

// print writes one received letter: who it is for, its subject and its text.
func (b *consoleMailbox) print(to []string, raw []byte) {
	subject, body := "", string(raw)
	if m, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		subject, _ = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		var r io.Reader = m.Body
		switch strings.ToLower(m.Header.Get("Content-Transfer-Encoding")) {
		case "quoted-printable":
			r = quotedprintable.NewReader(r)
		case "base64":
			r = base64.NewDecoder(base64.StdEncoding, r)
		}
		if text, err := io.ReadAll(r); err == nil {
			body = string(text)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprintf(b.w, "\n──── demo mailbox: a letter to %s ────\n%s\n\n%s\n────\n", strings.Join(to, ", "), subject, strings.TrimSpace(body))
}

type consoleSession struct {
	box *consoleMailbox
	to  []string
}

func (s *consoleSession) Mail(string, *smtp.MailOptions) error { return nil }

func (s *consoleSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *consoleSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.box.print(s.to, raw)
	return nil
}

func (s *consoleSession) Reset()        { s.to = nil }
func (s *consoleSession) Logout() error { return nil }
