package ui

// The resource form's sample file (POST /my/resources/infer): the "infer"
// button of the new resource form posts the whole form as multipart
// (csrf_token first, the form's fields, then sample, a CSV or XLSX file),
// and the form comes back with the data items inferred from the file as
// `dataport import --infer` infers them, the columns that hold personal
// information marked, and, for a workbook, its top rows to pick the header
// row from. The sample stays on the server for a while under sample_id, so
// that picking another header row (header_row) needs no second upload.
// Nothing is saved: the editor edits the items and creates the resource.

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/ingest"
	"dataport/internal/validate"
	"dataport/internal/web/ui/session"
)

const (
	maxSampleBytes = 32 << 20 // a sample file and the form with it
	maxFormText    = 1 << 20  // the form's text fields together
	sampleRecords  = 5000     // records the items are inferred from
	sampleKeep     = 2 * time.Hour
	topRowsShown   = 12 // rows of a workbook's top offered as header
)

// sampleStore keeps uploaded samples on disk for their uploader, by a
// random id, for sampleKeep.
type sampleStore struct {
	mu    sync.Mutex
	dir   string
	files map[string]sampleFile
}

type sampleFile struct {
	user, name, path string
	at               time.Time
}

func newSampleStore() *sampleStore { return &sampleStore{files: map[string]sampleFile{}} }

// put spools r as a sample of user's named name and returns its id.
func (st *sampleStore) put(user, name string, r io.Reader) (string, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sweep(time.Now())
	if st.dir == "" {
		dir, err := os.MkdirTemp("", "dataport-samples-")
		if err != nil {
			return "", fmt.Errorf("ui: sample dir: %w", err)
		}
		st.dir = dir
	}
	b := make([]byte, 16)
	rand.Read(b)
	id := hex.EncodeToString(b)
	path := filepath.Join(st.dir, id)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("ui: sample: %w", err)
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return "", errTooLarge
		}
		return "", errBadForm
	}
	st.files[id] = sampleFile{user: user, name: filepath.Base(name), path: path, at: time.Now()}
	return id, nil
}

// get returns user's sample id.
func (st *sampleStore) get(user, id string) (sampleFile, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	f, ok := st.files[id]
	return f, ok && f.user == user && time.Since(f.at) < sampleKeep
}

// sweep removes samples older than sampleKeep; st.mu is held.
func (st *sampleStore) sweep(now time.Time) {
	for id, f := range st.files {
		if now.Sub(f.at) >= sampleKeep {
			os.Remove(f.path)
			delete(st.files, id)
		}
	}
}

// sampleView is what the form shows of its sample.
type sampleView struct {
	ID, Name  string
	Format    string
	HeaderRow int64
	Top       []ingest.SheetRow // a workbook's top rows, to pick the header from
	Records   int64             // records the items were inferred from
	Complete  bool              // the sample held every record of the file
	Personal  []string          // labels of the columns holding personal information
}

// inferredItems is what a sample gives the form.
type inferredItems struct {
	items    []catalog.Item
	personal []classify.Type // per item, "" when none
	view     sampleView
}

// inferSample reads the sample at path (named name) with its header at
// headerRow (0 to find it) and infers its items.
func inferSample(path, name string, headerRow int64) (inferredItems, error) {
	f, err := os.Open(path)
	if err != nil {
		return inferredItems{}, err
	}
	defer f.Close()
	rd, err := ingest.Open(f, name, ingest.Options{HeaderRow: headerRow})
	if err != nil {
		return inferredItems{}, err
	}
	defer rd.Close()
	header := rd.Header()
	inf, scan := ingest.NewInference(header), classify.NewScanner(header)
	complete := false
	for inf.Rows() < sampleRecords {
		rec, err := rd.Next()
		if err == io.EOF {
			complete = true
			break
		}
		var rowErr *ingest.RowError
		if errors.As(err, &rowErr) {
			continue
		}
		if err != nil {
			return inferredItems{}, err
		}
		inf.Add(rec)
		scan.Add(rec)
	}
	info := rd.Info()
	out := inferredItems{items: inf.Items(), personal: make([]classify.Type, len(header)),
		view: sampleView{Name: filepath.Base(name), Format: strings.ToUpper(string(info.Format)), HeaderRow: info.HeaderRow,
			Records: inf.Rows(), Complete: complete}}
	if len(info.Top) > 1 {
		out.view.Top = info.Top[:min(len(info.Top), topRowsShown)]
	}
	for i, c := range scan.Result().Columns {
		if i < len(out.personal) && c.Detected != nil && c.Detected.PersonalInfo() {
			out.personal[i] = *c.Detected
			out.view.Personal = append(out.view.Personal, header[i])
		}
	}
	for i := range out.items {
		if i < len(info.Units) && info.Units[i] != "" {
			out.items[i].Description = "单位：" + info.Units[i]
		}
	}
	return out, nil
}

// inferHandler answers the form's infer button. It runs its own session
// and CSRF checks, as the upload does, because the pages' middleware reads
// forms under a 1 MiB cap.
func (s *server) inferHandler() http.Handler {
	return s.sessions.Load(s.handle(func(w http.ResponseWriter, r *http.Request) error {
		r.Body = http.MaxBytesReader(w, r.Body, maxSampleBytes)
		p, err := requireUser(r)
		if err != nil {
			return err
		}
		orgs, err := s.creatableOrganizations(r.Context(), p)
		if err != nil {
			return err
		}
		done, err := s.uploads.Take(p.UserID, time.Now())
		if err != nil {
			return err // 429 with Retry-After, the body unread
		}
		defer done()
		v, sampleID, err := s.readInferForm(r, p.UserID)
		if err != nil {
			return err
		}
		r = r.WithContext(session.WithCSRFToken(r.Context(), s.sessions.CSRF(r))) // for the form shown again
		f := readResourceForm(v)
		f.Organizations = orgs
		if sampleID == "" {
			sampleID = v.Get("sample_id")
		}
		sample, ok := s.samples.get(p.UserID, sampleID)
		if !ok {
			return s.failResourceForm(w, r, f, validate.Errors{{Field: "sample_file", Code: validate.CodeRequired, Message: "is required"}})
		}
		headerRow, _ := strconv.ParseInt(v.Get("header_row"), 10, 64)
		got, err := inferSample(sample.path, sample.name, max(headerRow, 0))
		if err != nil {
			f.Sample = &sampleView{ID: sampleID, Name: sample.name}
			return s.failResourceForm(w, r, f, sampleErrors(err))
		}
		got.view.ID = sampleID
		return s.renderResourceForm(w, r, http.StatusOK, f.withInferred(got))
	}))
}

// sampleErrors is the problem of a sample that could not be read, as a
// problem of the form's sample field.
func sampleErrors(err error) validate.Errors {
	fe := validate.FieldError{Field: "sample_file", Message: err.Error(), Code: "sample_unreadable"}
	var fileErr *ingest.FileError
	var limitErr *ingest.LimitError
	switch {
	case errors.Is(err, ingest.ErrEmpty):
		fe.Code = "sample_empty"
	case errors.Is(err, ingest.ErrBinary):
		fe.Code = "sample_binary"
	case errors.As(err, &limitErr):
		fe.Code = "sample_too_large"
	case errors.As(err, &fileErr) && fileErr.Code != "":
		fe.Code, fe.Args = fileErr.Code, fileErr.Args
	}
	return validate.Errors{fe}
}

// withInferred fills the form's items with those inferred (replacing the
// rows typed so far), marks the format, and ticks personal information
// when a column holds it.
func (f resourceForm) withInferred(got inferredItems) resourceForm {
	f.Items = nil
	for i, it := range got.items {
		row := itemRow{Name: it.Name, LabelZh: it.LabelZh, Type: string(it.Type), Description: it.Description, Required: it.Required}
		if t := got.personal[i]; t != "" {
			row.Personal = string(t)
			f.PersonalInfo = true
		}
		f.Items = append(f.Items, row)
	}
	format := got.view.Format
	if format == "NDJSON" {
		format = "JSON"
	}
	if format != "" && !slices.Contains(f.Formats, format) {
		f.Formats = append(f.Formats, format)
	}
	f.Sample = &got.view
	return f
}

// readInferForm checks the multipart form's CSRF token (its first part),
// reads its text fields and spools its sample file, if one was chosen,
// returning the sample's id.
func (s *server) readInferForm(r *http.Request, user string) (url.Values, string, error) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		return nil, "", errBadForm
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", errBadForm
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "csrf_token" {
		return nil, "", errCSRF
	}
	sent, _ := io.ReadAll(io.LimitReader(part, 100))
	token := s.sessions.CSRF(r)
	if token == "" || subtle.ConstantTimeCompare(sent, []byte(token)) != 1 {
		return nil, "", errCSRF
	}
	v, id, budget := url.Values{}, "", int64(maxFormText)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return v, id, nil
		}
		if err != nil {
			return nil, "", errBadForm
		}
		if part.FormName() == "sample" {
			if part.FileName() != "" {
				if id, err = s.samples.put(user, part.FileName(), part); err != nil {
					return nil, "", err
				}
			}
			continue
		}
		text, err := io.ReadAll(io.LimitReader(part, budget+1))
		if err != nil {
			return nil, "", errBadForm
		}
		if budget -= int64(len(text)); budget < 0 {
			return nil, "", errTooLarge
		}
		v.Add(part.FormName(), string(text))
	}
}
