package ui

import (
	"crypto/subtle"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"time"

	"dataport/internal/exchange"
	"dataport/internal/identity"
	"dataport/internal/validate"
	"dataport/internal/web/ui/session"
)

// The exchange's file forms are multipart and mounted outside the form cap
// (exchangeUploadRoutes): each checks its CSRF token itself, first.

// exchangeUploadRoutes mounts the exchange's multipart forms on root, beside
// the data uploads, when the exchange is served.
func (s *server) exchangeUploadRoutes(root *http.ServeMux) {
	if s.acc.Exchange == nil {
		return
	}
	for pattern, h := range map[string]handlerFunc{
		"POST /exchange/participants/{id}/documents": s.addParticipantDocument,
		"POST /exchange/products/{id}/evidence":      s.addProductEvidence,
	} {
		root.Handle(pattern, s.sessions.Load(s.handle(h)))
	}
	if s.acc.Assets != nil {
		root.Handle("POST /exchange/valuations", s.sessions.Load(s.handle(s.fileValuation)))
	}
}

// multipartSlack is what a multipart body may carry beyond its file: the
// other fields and the parts' headers.
const multipartSlack = 256 << 10

// documentUpload reads a document form — csrf_token, kind, then file, in
// that order — and passes the file's part to add as it streams, at most
// limit bytes (add refuses more with a field error). Field problems go to
// refuse, with the request its page is rendered for; success returns to
// back with a banner.
func (s *server) documentUpload(w http.ResponseWriter, r *http.Request, limit int64,
	add func(p identity.Principal, in exchange.DocumentInput, body io.Reader) error,
	refuse func(r *http.Request, errs validate.Errors, kind string) error, back string) error {
	refuse = renamedRefusal(refuse)
	r.Body = http.MaxBytesReader(w, r.Body, limit+multipartSlack)
	p, done, err := s.uploader(r)
	if err != nil {
		return err
	}
	defer done()
	mr, err := s.checkedMultipart(r)
	if err != nil {
		return err
	}
	r = r.WithContext(session.WithCSRFToken(r.Context(), s.sessions.CSRF(r)))
	r.PostForm = url.Values{}
	var kind string
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return refuse(r, validate.Errors{{Field: "file", Code: validate.CodeRequired, Message: "is required: choose a file"}}, kind)
		}
		if err != nil {
			return errBadForm
		}
		switch {
		case part.FormName() == "kind":
			b, _ := io.ReadAll(io.LimitReader(part, 100))
			kind = string(b)
		case part.FormName() == "file" && part.FileName() == "":
			return refuse(r, validate.Errors{{Field: "file", Code: validate.CodeRequired, Message: "is required: choose a file"}}, kind)
		case part.FormName() == "file":
			err := add(p, exchange.DocumentInput{Kind: kind, Name: part.FileName()}, part)
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return errTooLarge
			}
			if errs := fieldErrors(err); errs != nil {
				return refuse(r, errs, kind)
			}
			if err != nil {
				return err
			}
			return seeOther(w, r, back, "exchange_document_added")
		}
	}
}

// uploader is the signed-in user sending r's file, let through the
// upload gate (a 429 with Retry-After otherwise, the body unread); done
// lets the next upload through.
func (s *server) uploader(r *http.Request) (p identity.Principal, done func(), err error) {
	if p, err = requireUser(r); err != nil {
		return p, nil, err
	}
	done, err = s.uploads.Take(p.UserID, time.Now())
	return p, done, err
}

// checkedMultipart opens r's multipart body and checks its first part, the
// CSRF token.
func (s *server) checkedMultipart(r *http.Request) (*multipart.Reader, error) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		return nil, errBadForm
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errBadForm
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "csrf_token" {
		return nil, errCSRF
	}
	sent, _ := io.ReadAll(io.LimitReader(part, 100))
	token := s.sessions.CSRF(r)
	if token == "" || subtle.ConstantTimeCompare(sent, []byte(token)) != 1 {
		return nil, errCSRF
	}
	return mr, nil
}

// multipartForm parses a small multipart form (at most limit bytes, kept in
// memory) into r.PostForm and r.MultipartForm after checking its CSRF
// token, and returns r ready to render the form again.
func (s *server) multipartForm(w http.ResponseWriter, r *http.Request, limit int64) (*http.Request, error) {
	r.Body = http.MaxBytesReader(w, r.Body, limit+multipartSlack)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		return r, errBadForm
	}
	if err := r.ParseMultipartForm(limit + multipartSlack); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return r, errTooLarge
		}
		return r, errBadForm
	}
	token := s.sessions.CSRF(r)
	if token == "" || subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf_token")), []byte(token)) != 1 {
		return r, errCSRF
	}
	return r.WithContext(session.WithCSRFToken(r.Context(), token)), nil
}

// renamedRefusal points a document's field problems at the document form's
// inputs (doc_kind, doc_file) before refuse shows them.
func renamedRefusal(refuse func(r *http.Request, errs validate.Errors, kind string) error) func(r *http.Request, errs validate.Errors, kind string) error {
	return func(r *http.Request, errs validate.Errors, kind string) error {
		out := make(validate.Errors, len(errs))
		for i, e := range errs {
			switch fieldKey(e.Field) {
			case "kind":
				e.Field = "doc_kind"
			case "name", "file":
				e.Field = "doc_file"
			}
			out[i] = e
		}
		return refuse(r, out, kind)
	}
}
