package ui

import (
	"net/http"

	"dataport/internal/notify"
)

// The outbox page: the platform operators and sysadmins see how the
// e-mail deliveries of notices went (pending, sent, skipped, failed) and
// whether this server delivers e-mail at all. It shows no recipient and
// no address; notify.Service decides who may read it.

// outboxSize is how many of the newest deliveries the page shows.
const outboxSize = 200

// outboxPage is the newest deliveries.
type outboxPage struct {
	Deliveries     []notify.Delivery
	MailConfigured bool // an SMTP server is set: pending deliveries go out
}

// outboxAdminPage lists the newest deliveries of the outbox.
func (s *server) outboxAdminPage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if s.acc.Notify == nil {
		return s.notFound(w, r)
	}
	list, err := s.acc.Notify.Outbox(r.Context(), p, outboxSize)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusOK, "admin_outbox", outboxPage{Deliveries: list, MailConfigured: s.mailConfigured})
}
