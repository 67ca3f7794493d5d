package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"dataport/internal/identity"
	"dataport/internal/ledger"
	"dataport/internal/store"

	"github.com/danielgtaylor/huma/v2"
)

type receiptIn struct {
	EventID string `path:"event_id" doc:"Event id"`
}

type receiptOut struct{ Body ledger.Receipt }

type listLedgerEventsIn struct {
	Subject string    `query:"subject" doc:"KIND:ID (e.g. resource:0190…), KIND: for every subject of a kind, or a bare subject id"`
	Type    string    `query:"type" doc:"Event type, e.g. resource.published"`
	Actor   string    `query:"actor" doc:"User or organization id of the actor"`
	Since   time.Time `query:"since" doc:"Events at or after this time (RFC 3339)"`
	Until   time.Time `query:"until" doc:"Events before this time (RFC 3339)"`
	Limit   int       `query:"limit" minimum:"1" maximum:"1000" default:"100"`
	Cursor  string    `query:"cursor" doc:"next_cursor of the previous page"`
}

// ledgerEvent is one event of the audit history; index is null until sealed.
type ledgerEvent struct {
	ID      string         `json:"id"`
	Type    string         `json:"type"`
	At      time.Time      `json:"at"`
	Subject ledger.Subject `json:"subject"`
	Index   *int64         `json:"index"`
}

type ledgerStatusOut struct{ Body ledger.Status }

func (h *handlers) ledgerRoutes(api huma.API) {
	tags := []string{tagLedger}
	secure := []map[string][]string{{"bearer": {}}}
	huma.Register(api, huma.Operation{OperationID: "get-ledger-receipt", Method: http.MethodGet, Path: "/ledger/receipts/{event_id}", Tags: tags,
		Summary:     "An event's receipt: its log entry, a signed checkpoint and the inclusion proof",
		Description: "Public: receipts hold identifiers and hashes only. 409 while the event waits for the sequencer or a checkpoint.",
		Errors:      []int{http.StatusNotFound, http.StatusConflict}}, h.ledgerReceipt)
	huma.Register(api, huma.Operation{OperationID: "list-ledger-events", Method: http.MethodGet, Path: "/ledger/events", Tags: tags,
		Summary: "Event history, newest first",
		Description: "Platform staff (sysadmin, operator, regulator, auditor) see every event; other signed-in users see the events " +
			"they acted in and those of their organizations.",
		Security: secure}, h.listLedgerEvents)
	huma.Register(api, huma.Operation{OperationID: "get-ledger-status", Method: http.MethodGet, Path: "/ledger/status", Tags: tags,
		Summary:     "The current checkpoint, log size and sequencing lag",
		Description: "The latest signed checkpoint of the transparency log, its size, and how far the sequencer lags behind the events written. Public."}, h.ledgerStatus)
}

func (h *handlers) ledgerReceipt(ctx context.Context, in *receiptIn) (*receiptOut, error) {
	r, err := h.ledger.Receipt(ctx, in.EventID)
	if err != nil {
		return nil, h.failLedger(ctx, err)
	}
	return &receiptOut{Body: r}, nil
}

func (h *handlers) listLedgerEvents(ctx context.Context, in *listLedgerEventsIn) (*List[ledgerEvent], error) {
	f := ledger.Filter{Type: in.Type, Actor: in.Actor, Since: in.Since, Until: in.Until, Limit: in.Limit, Cursor: in.Cursor}
	if kind, id, ok := strings.Cut(in.Subject, ":"); ok {
		f.SubjectKind, f.SubjectID = kind, id
	} else {
		f.SubjectID = in.Subject
	}
	page, err := h.ledger.Events(ctx, identity.FromContext(ctx), f)
	if err != nil {
		return nil, h.failLedger(ctx, err)
	}
	out := &List[ledgerEvent]{}
	out.Body.Items = make([]ledgerEvent, len(page.Events))
	for i, ev := range page.Events {
		out.Body.Items[i] = ledgerEvent{ID: ev.ID, Type: ev.Type, At: ev.At,
			Subject: ledger.Subject{Kind: ev.SubjectKind, ID: ev.SubjectID}, Index: ev.LedgerIndex}
	}
	out.Body.NextCursor = page.NextCursor
	return out, nil
}

func (h *handlers) ledgerStatus(ctx context.Context, _ *struct{}) (*ledgerStatusOut, error) {
	st, err := h.ledger.Status(ctx)
	if err != nil {
		return nil, h.failLedger(ctx, err)
	}
	return &ledgerStatusOut{Body: st}, nil
}

// failLedger maps the ledger's own errors; the rest go through fail.
func (h *handlers) failLedger(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, ledger.ErrNotSealed):
		return huma.Error409Conflict("the event is not sealed in the ledger yet; retry in a few seconds")
	case errors.Is(err, ledger.ErrNoLog):
		return huma.Error503ServiceUnavailable("the ledger has not started yet")
	case errors.Is(err, ledger.ErrBadCursor):
		return huma.Error422UnprocessableEntity("validation failed",
			&huma.ErrorDetail{Location: "query.cursor", Message: "is not a cursor from a previous page"})
	case errors.Is(err, store.ErrNotFound):
		return huma.Error404NotFound("no such event")
	}
	return h.fail(ctx, err)
}
