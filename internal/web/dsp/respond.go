package dsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"dataport/internal/identity"
	"dataport/internal/web/problem"
)

// area is one of the protocol's three parts; each has its own error object.
type area int

const (
	areaCatalog area = iota
	areaNegotiation
	areaTransfer
)

// errorSchema and errorType are the area's error object.
func (a area) errorSchema() (Schema, string) {
	switch a {
	case areaNegotiation:
		return SchemaNegotiationError, "ContractNegotiationError"
	case areaTransfer:
		return SchemaTransferError, "TransferError"
	}
	return SchemaCatalogError, "CatalogError"
}

// reply writes v, a message of schema s, with status: validated first, so
// that nothing that breaks the protocol's schemas leaves the provider.
func (h *Handler) reply(w http.ResponseWriter, r *http.Request, status int, s Schema, v any) {
	body, err := encode(s, v)
	if err != nil {
		h.log.ErrorContext(r.Context(), "dsp: an answer fails its schema", "schema", s, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// encode marshals v and validates it against s.
func encode(s Schema, v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if err := Validate(s, body); err != nil {
		return nil, err
	}
	return body, nil
}

// requestError is a refusal the binding makes itself, with its status
// and the protocol error's code.
type requestError struct {
	status int
	code   string
	reason string
}

func (e *requestError) Error() string { return e.reason }

func badRequest(code, format string, args ...any) error {
	return &requestError{status: http.StatusBadRequest, code: code, reason: fmt.Sprintf(format, args...)}
}

// errUnknownProcess answers a process that does not exist or is not the caller's.
var errUnknownProcess = &requestError{status: http.StatusNotFound, code: "not_found", reason: "no such process"}

// fail answers err with the area's error object: the binding's own
// refusals as they say; a message that breaks its schema or the policy
// language, 400; other errors through the one problem mapper, with an
// invalid state transition 400 as the protocol asks and a refusal 404 on
// a process endpoint (the protocol does not tell unauthorized from
// unknown). The process ids are echoed when known.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, a area, ids pids, process bool, err error) {
	status, code, reason := h.classify(r.Context(), process, err)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="dataport"`)
	}
	s, typ := a.errorSchema()
	var v any = CatalogError{head: newHead(typ), Code: code, Reason: []any{reason}}
	switch a {
	case areaNegotiation:
		v = ContractNegotiationError{head: newHead(typ), pids: ids, Code: code, Reason: []any{reason}}
	case areaTransfer:
		v = TransferCodeMessage{head: newHead(typ), pids: ids, Code: code, Reason: []any{reason}}
	}
	h.reply(w, r, status, s, v)
}

// classify maps err to a status, the error object's code and its reason.
func (h *Handler) classify(ctx context.Context, process bool, err error) (int, string, string) {
	var rerr *requestError
	var serr *SchemaError
	var terr *TermsError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &rerr):
		return rerr.status, rerr.code, rerr.reason
	case errors.As(err, &serr):
		return http.StatusBadRequest, "schema", serr.Error()
	case errors.Is(err, ErrInvalid): // not JSON
		return http.StatusBadRequest, "schema", err.Error()
	case errors.As(err, &terr):
		return http.StatusBadRequest, "policy", terr.Reason
	case errors.As(err, &maxErr):
		return http.StatusRequestEntityTooLarge, "too_large", "the message is too large"
	}
	pr := problem.Of(identity.FromContext(ctx), err)
	if !pr.Public {
		h.log.ErrorContext(ctx, "dsp: request failed", "err", err)
	}
	code, _ := problem.CodeOf(err)
	if code == "" {
		code = string(pr.Kind)
	}
	reason := pr.Detail
	for _, f := range pr.Fields {
		reason = f.Field + ": " + f.Message
		break
	}
	switch pr.Kind {
	case problem.Validation, problem.Conflict, problem.BadQuery:
		return http.StatusBadRequest, code, reason
	case problem.NotFound:
		if !process {
			return http.StatusBadRequest, "unknown", reason
		}
		return http.StatusNotFound, "not_found", "no such process"
	case problem.Forbidden, problem.Denied:
		if process {
			return http.StatusNotFound, "not_found", "no such process"
		}
		return http.StatusForbidden, code, reason
	}
	return pr.Status, code, reason
}

// decode reads a message of schema s into v: the body must validate
// against the schema before it is read.
func decode(r *http.Request, s Schema, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if err := Validate(s, body); err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest("schema", "the message cannot be read: %v", err)
	}
	return nil
}
