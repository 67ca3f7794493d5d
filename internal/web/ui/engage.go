package ui

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/engage"
	"dataport/internal/identity"
	"dataport/internal/validate"
)

// engageRoutes are the dataset page's feedback forms: rating, comments,
// error reports (数据纠错) and follows. Each redirects back to the page's
// section with a banner; a field problem shows the page again (422) with
// the form as it was filled in.
func (s *server) engageRoutes() []route {
	if s.acc.Engage == nil {
		return nil
	}
	return []route{
		{"POST /resources/{id}/rating", s.rateResource},
		{"POST /resources/{id}/comments", s.commentResource},
		{"POST /resources/{id}/comments/{comment}/hide", s.hideComment},
		{"POST /resources/{id}/error-reports", s.reportError},
		{"POST /resources/{id}/error-reports/{report}/reply", s.replyErrorReport},
		{"POST /resources/{id}/follow", s.followResource},
		{"POST /resources/{id}/unfollow", s.unfollowResource},
	}
}

// engageSection is the dataset page's counts, rating, comments, error
// reports and follow button; nil without the engagement service.
type engageSection struct {
	ResourceID  string
	Open        bool // published: the forms are offered
	Counts      engage.Count
	Rating      engage.Rating
	Comments    []engage.Comment
	Reports     []engage.ErrorReport
	Following   bool
	Followers   int
	CanModerate bool // may hide comments
	CanAnswer   bool // may reply to error reports
	Items       []catalog.Item
	Form        engageForm
	Stars       string // the average as five stars, ★★★★☆
	Choices     []int  // the rating form's choices, 1–5
}

// engageForm keeps what the user typed when a form failed; HideID and
// ReplyID name the comment or report whose form it was.
type engageForm struct {
	Body, Column, Row, Value, Problem string
	HideID, HideReason                string
	ReplyID, Reply                    string
}

// engageSection gathers the section for p. Showing a published resource's
// page counts as one view of it (engage.Service.View, a counter in memory).
func (s *server) engageSection(ctx context.Context, p identity.Principal, res catalog.Resource) (*engageSection, error) {
	svc := s.acc.Engage
	if svc == nil {
		return nil, nil
	}
	sec := &engageSection{ResourceID: res.ID, Open: res.Status == catalog.StatusPublished, Items: res.Items,
		CanModerate: engage.CanModerate(p, res), CanAnswer: engage.CanAnswer(p, res)}
	if sec.Open {
		svc.View(res.ID)
	}
	counts, err := svc.Counts(ctx, res.ID)
	if err != nil {
		return nil, err
	}
	sec.Counts = counts[res.ID]
	if sec.Rating, err = svc.Rating(ctx, p, res.ID); err != nil {
		return nil, err
	}
	full := int(sec.Rating.Average + 0.5)
	sec.Stars, sec.Choices = strings.Repeat("★", full)+strings.Repeat("☆", 5-full), []int{1, 2, 3, 4, 5}
	if sec.Comments, err = svc.Comments(ctx, p, res.ID); err != nil {
		return nil, err
	}
	if sec.Reports, err = svc.Reports(ctx, p, res.ID); err != nil {
		return nil, err
	}
	if sec.Following, sec.Followers, err = svc.Following(ctx, p, res.ID); err != nil {
		return nil, err
	}
	return sec, nil
}

// The form inputs' names: the service's fields with a prefix, so that
// they do not meet the page's other forms (a retire form's "reason").
var engageFields = map[string]string{"body": "comment_body", "reason": "hide_reason", "column": "report_column",
	"row": "report_row", "value": "report_value", "problem": "report_problem", "reply": "report_reply"}

// engageFailed shows the resource page again with err's field problems and
// the form as filled in, or returns err when it has none.
func (s *server) engageFailed(w http.ResponseWriter, r *http.Request, err error, form engageForm) error {
	errs := fieldErrors(err)
	if errs == nil {
		return err
	}
	renamed := make(validate.Errors, len(errs))
	for i, fe := range errs {
		if name, ok := engageFields[fe.Field]; ok {
			fe.Field = name
		}
		renamed[i] = fe
	}
	page, err := s.loadResourcePage(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	withAccess(r, &page)
	if page.Engage != nil {
		page.Engage.Form = form
	}
	page.Errors = newFormErrors(langOf(r), renamed)
	return s.render(w, r, http.StatusUnprocessableEntity, "resource", page)
}

// backTo redirects to a section of the resource page with a banner.
func backTo(w http.ResponseWriter, r *http.Request, resourceID, done, section string) error {
	http.Redirect(w, r, "/resources/"+url.PathEscape(resourceID)+"?done="+url.QueryEscape(done)+"#"+section, http.StatusSeeOther)
	return nil
}

// rateResource gives the dataset stars. Form fields: csrf_token, stars (1–5).
func (s *server) rateResource(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	stars, _ := strconv.Atoi(r.PostForm.Get("stars"))
	if _, err := s.acc.Engage.Rate(r.Context(), p, r.PathValue("id"), stars); err != nil {
		return s.engageFailed(w, r, err, engageForm{})
	}
	return backTo(w, r, r.PathValue("id"), "rated", "engage")
}

// commentResource posts a comment. Form fields: csrf_token, comment_body.
func (s *server) commentResource(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	form := engageForm{Body: r.PostForm.Get("comment_body")}
	if _, err := s.acc.Engage.AddComment(r.Context(), p, r.PathValue("id"), form.Body); err != nil {
		return s.engageFailed(w, r, err, form)
	}
	return backTo(w, r, r.PathValue("id"), "commented", "comments")
}

// hideComment hides a comment with a reason. Form fields: csrf_token, hide_reason.
func (s *server) hideComment(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	form := engageForm{HideID: r.PathValue("comment"), HideReason: r.PostForm.Get("hide_reason")}
	c, err := s.acc.Engage.HideComment(r.Context(), p, form.HideID, form.HideReason)
	if err != nil {
		return s.engageFailed(w, r, err, form)
	}
	return backTo(w, r, c.ResourceID, "comment_hidden", "comments")
}

// reportError files an error report. Form fields: csrf_token,
// report_column, report_row, report_value, report_problem.
func (s *server) reportError(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	form := engageForm{Column: f.Get("report_column"), Row: f.Get("report_row"), Value: f.Get("report_value"), Problem: f.Get("report_problem")}
	in := engage.ReportInput{Column: form.Column, Row: form.Row, Value: form.Value, Problem: form.Problem}
	if _, err := s.acc.Engage.Report(r.Context(), p, r.PathValue("id"), in); err != nil {
		return s.engageFailed(w, r, err, form)
	}
	return backTo(w, r, r.PathValue("id"), "error_reported", "error-reports")
}

// replyErrorReport answers an error report. Form fields: csrf_token, report_reply.
func (s *server) replyErrorReport(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	form := engageForm{ReplyID: r.PathValue("report"), Reply: r.PostForm.Get("report_reply")}
	rep, err := s.acc.Engage.Reply(r.Context(), p, form.ReplyID, form.Reply)
	if err != nil {
		return s.engageFailed(w, r, err, form)
	}
	return backTo(w, r, rep.ResourceID, "error_answered", "error-reports")
}

// followResource and unfollowResource start and stop following. Form fields: csrf_token.
func (s *server) followResource(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if err := s.acc.Engage.Follow(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	return backTo(w, r, r.PathValue("id"), "followed", "engage")
}

func (s *server) unfollowResource(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if err := s.acc.Engage.Unfollow(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	return backTo(w, r, r.PathValue("id"), "unfollowed", "engage")
}
