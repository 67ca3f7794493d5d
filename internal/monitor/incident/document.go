package incident

import (
	"bytes"
	"context"
	"embed"
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
	"dataport/internal/workday"
)

// The documents' kinds.
const (
	DocNotice = "notice" // 个人信息安全事件告知书, to the affected persons
	DocReport = "report" // 数据安全事件报告, to the authority
)

// DocTitle is the Chinese title of a document kind.
func DocTitle(kind string) string {
	return map[string]string{DocNotice: "个人信息安全事件告知书", DocReport: "数据安全事件报告"}[kind]
}

// Filing is a notice or report as issued: its hashes are sealed by the
// "incident.document_issued" event.
type Filing struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind" enum:"notice,report"`
	HTMLSHA256 string    `json:"html_sha256" doc:"SHA-256 of the HTML as issued"`
	TextSHA256 string    `json:"text_sha256" doc:"SHA-256 of the plain text as issued"`
	IssuedBy   string    `json:"issued_by"`
	IssuedAt   time.Time `json:"issued_at"`
}

// Rendered is a document's two forms: HTML with its print stylesheet
// (self-contained, no outside assets) and plain text.
type Rendered struct {
	HTML string
	Text string
}

//go:embed doc
var docFiles embed.FS

var (
	htmlDoc = htmltemplate.Must(htmltemplate.ParseFS(docFiles, "doc/document.html"))
	textDoc = texttemplate.Must(texttemplate.New("document.txt").Funcs(texttemplate.FuncMap{"inc": func(i int) int { return i + 1 }}).
		ParseFS(docFiles, "doc/document.txt"))
	printCSS = mustRead("doc/print.css")
)

func mustRead(name string) string {
	b, err := docFiles.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// PrintStyle is the stylesheet inside every HTML document (a page serving
// one may allow exactly it in its Content-Security-Policy).
func PrintStyle() string { return printCSS }

// docData is what a document's templates read.
type docData struct {
	Kind, Title, Number, Authority                 string
	Org                                            identity.Organization
	Inc                                            Incident
	KindZh, LevelZh                                string
	DiscoveredAt, ContainedAt, ReportDue, IssuedAt string
	NotifyDue, NotifiedAt                          string
	Records, Persons                               string
	Resources                                      []string
	Tasks                                          []docTask
	Responsible, ResponsibleEmail, CDO             string
	Style                                          htmltemplate.CSS
}

type docTask struct {
	Title, Owner, Due string
	Done              bool
}

// Render returns the document of kind for incident id as it would be
// issued at now, for whoever may see the incident; nothing is recorded.
func (s *Service) Render(ctx context.Context, actor identity.Principal, id, kind string, now time.Time) (Rendered, error) {
	inc, err := s.Incident(ctx, actor, id)
	if err != nil {
		return Rendered{}, err
	}
	if err := checkKind(inc, kind); err != nil {
		return Rendered{}, err
	}
	return s.render(ctx, inc, kind, now)
}

// checkKind refuses a kind that is not a document, and a notice of an
// incident that affects no person.
func checkKind(inc Incident, kind string) error {
	var errs validate.Errors
	validate.OneOf(&errs, "kind", kind, DocNotice, DocReport)
	if err := errs.Err(); err != nil {
		return err
	}
	if kind == DocNotice && inc.PersonsAffected == 0 {
		return validate.Refuse(ErrState, "no_persons", "no person is affected: there is no one to notify")
	}
	return nil
}

// render fills the templates for inc.
func (s *Service) render(ctx context.Context, inc Incident, kind string, now time.Time) (Rendered, error) {
	d, err := s.docData(ctx, inc, kind, now)
	if err != nil {
		return Rendered{}, err
	}
	var h, t bytes.Buffer
	if err := htmlDoc.Execute(&h, d); err != nil {
		return Rendered{}, err
	}
	if err := textDoc.Execute(&t, d); err != nil {
		return Rendered{}, err
	}
	return Rendered{HTML: h.String(), Text: t.String()}, nil
}

func (s *Service) docData(ctx context.Context, inc Incident, kind string, now time.Time) (docData, error) {
	org, err := s.ids.Organization(ctx, inc.OrgID)
	if err != nil {
		return docData{}, err
	}
	d := docData{Kind: kind, Title: DocTitle(kind), Number: strings.ToUpper(inc.ID[:8]) + "-" + kind, Authority: s.cfg.Authority,
		Org: org, Inc: inc, KindZh: inc.Kind.Zh(), LevelZh: inc.Level.Zh(), DiscoveredAt: cnTime(inc.DiscoveredAt),
		ContainedAt: cnTimePtr(inc.ContainedAt), ReportDue: cnTime(inc.ReportDue), NotifyDue: cnTimePtr(inc.NotifyDue),
		NotifiedAt: cnTimePtr(inc.NotifiedAt), IssuedAt: cnTime(now), Records: grouped(inc.RecordsAffected),
		Persons: grouped(inc.PersonsAffected), Style: htmltemplate.CSS(printCSS), Responsible: "（未指定）"}
	for _, id := range inc.ResourceIDs {
		if r, err := s.cat.Get(ctx, identity.System, id); err == nil {
			d.Resources = append(d.Resources, r.TitleZh+"（"+r.Code+"）")
		}
	}
	for _, t := range inc.Tasks {
		d.Tasks = append(d.Tasks, docTask{Title: t.Title, Owner: s.displayName(ctx, t.OwnerUserID), Due: cnTime(t.DueAt), Done: t.DoneAt != nil})
	}
	if u, err := s.ids.User(ctx, identity.System, org.ResponsibleUserID); org.ResponsibleUserID != "" && err == nil {
		d.Responsible, d.ResponsibleEmail = u.DisplayName, u.Email
	}
	if org.ChiefDataOfficerUserID != "" {
		d.CDO = s.displayName(ctx, org.ChiefDataOfficerUserID)
	}
	return d, nil
}

// displayName is a user's display name, or their id when unknown.
func (s *Service) displayName(ctx context.Context, id string) string {
	if u, err := s.ids.User(ctx, identity.System, id); err == nil {
		return u.DisplayName
	}
	return id
}

// cnTime writes t as the documents do: Beijing time, to the minute.
func cnTime(t time.Time) string { return t.In(workday.Beijing).Format("2006年01月02日 15:04") }

func cnTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return cnTime(*t)
}

// grouped writes n with thousands separators (12,345).
func grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Issue generates the document of kind for incident id and issues it:
// both forms are kept as issued, their SHA-256 sealed by an
// "incident.document_issued" event with the counts they name. The first
// notice issued records when the persons were notified, the first report
// when the authority was; a later issue (a corrected or final report)
// keeps those times.
func (s *Service) Issue(ctx context.Context, actor identity.Principal, id, kind string) (Incident, Filing, error) {
	var doc Filing
	inc, err := s.change(ctx, actor, id, "incident.document_issued", func(tx *store.Tx, inc *Incident) (map[string]any, error) {
		if inc.State == StateClosed {
			return nil, validate.Refuse(ErrState, "incident_closed", "a closed incident issues no documents")
		}
		if err := checkKind(*inc, kind); err != nil {
			return nil, err
		}
		now := tx.Now()
		met := &inc.ReportedAt
		if kind == DocNotice {
			met = &inc.NotifiedAt
		}
		if *met == nil {
			*met = &now
		}
		body, err := s.render(ctx, *inc, kind, now)
		if err != nil {
			return nil, err
		}
		doc = Filing{ID: store.NewID(), Kind: kind, HTMLSHA256: store.SHA256Hex(body.HTML), TextSHA256: store.SHA256Hex(body.Text),
			IssuedBy: actor.UserID, IssuedAt: now}
		if err := insertDocument(ctx, tx, inc.ID, doc, body); err != nil {
			return nil, err
		}
		inc.Documents = append(inc.Documents, doc)
		return map[string]any{"document_id": doc.ID, "document_kind": kind, "html_sha256": doc.HTMLSHA256, "text_sha256": doc.TextSHA256,
			"on_time": !now.After(dueOf(*inc, kind))}, nil
	})
	return inc, doc, err
}

// dueOf is the deadline a document of kind meets.
func dueOf(inc Incident, kind string) time.Time {
	if kind == DocNotice && inc.NotifyDue != nil {
		return *inc.NotifyDue
	}
	return inc.ReportDue
}

// IssuedDocument returns an issued document of incident id with both its
// forms exactly as issued, for whoever may see the incident.
func (s *Service) IssuedDocument(ctx context.Context, actor identity.Principal, id, docID string) (Filing, Rendered, error) {
	if _, err := s.Incident(ctx, actor, id); err != nil {
		return Filing{}, Rendered{}, err
	}
	return issuedDocument(ctx, s.db, id, docID)
}
