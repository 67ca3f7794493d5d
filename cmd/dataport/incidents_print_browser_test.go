package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"dataport/internal/access/accesstest"
	"dataport/internal/identity"
	"dataport/internal/monitor/incident"
	"dataport/internal/store"
	"dataport/internal/store/storetest"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestBrowserIncidentDocumentsPrint issues an incident's report and notice
// and opens each in Chromium as the UI serves them (their own stylesheet
// allowed by hash, nothing else): the stylesheet applies (the title is
// centred, the facts table is laid out), the page does not scroll
// sideways at a phone's width, and printed it is A4 on one page, black on
// white without the screen's frame.
func TestBrowserIncidentDocumentsPrint(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, store.SQLite)
	w := accesstest.New(t, db)
	svc := incident.New(db, w.IDs, w.Cat, nil, incident.Config{})
	if _, err := w.IDs.SetOfficers(ctx, w.ProviderAdmin, w.Provider.ID, identity.Officers{ResponsibleUserID: w.ProviderAdmin.UserID}); err != nil {
		t.Fatal(err)
	}
	inc, err := svc.Open(ctx, w.ProviderEditor, incident.Details{OrgID: w.Provider.ID, Title: "地铁刷卡记录外泄", Kind: incident.KindLeak,
		Level: incident.LevelMajor, Cause: "接口鉴权配置错误。", Measures: "已关闭导出接口。", ResourceIDs: []string{w.Conditional.ID},
		RecordsAffected: 12345, PersonsAffected: 3210, DiscoveredAt: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string]string{}
	for _, kind := range []string{incident.DocReport, incident.DocNotice} {
		_, doc, err := svc.Issue(ctx, w.ProviderEditor, inc.ID, kind)
		if err != nil {
			t.Fatal(err)
		}
		_, body, err := svc.IssuedDocument(ctx, w.ProviderEditor, inc.ID, doc.ID)
		if err != nil {
			t.Fatal(err)
		}
		bodies["/"+kind] = body.HTML
	}
	sum := sha256.Sum256([]byte(incident.PrintStyle()))
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		rw.Write([]byte(bodies[r.URL.Path]))
	}))
	defer srv.Close()

	cr := newChrome(t)
	for path := range bodies {
		do(t, cr, chromedp.EmulateViewport(390, 844), navigate(srv.URL+path), chromedp.WaitVisible(chromedp.CSS(".incident-doc")))
		if got := run(t, cr, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('.incident-doc h1')).textAlign`)); got != "center" {
			t.Errorf("%s: the stylesheet did not apply (title aligned %q)", path, got)
		}
		if wide := run(t, cr, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); wide {
			t.Errorf("%s scrolls sideways at 390 px", path)
		}
		if got := run(t, cr, chromedp.Text(chromedp.CSS(".incident-doc"))); !strings.Contains(got, "12,345") || !strings.Contains(got, "3,210") {
			t.Errorf("%s does not name the counts:\n%s", path, got)
		}
		var pdf []byte
		do(t, cr, chromedp.EmulateViewport(1280, 900), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
			return err
		}))
		if got := run(t, cr, chromedp.Evaluate[[]string](`(() => { const s = getComputedStyle(document.querySelector('.incident-doc'));
			return [getComputedStyle(document.body).backgroundColor, s.borderTopStyle] })()`)); strings.Join(got, " ") != "rgb(255, 255, 255) none" {
			t.Errorf("%s printed: background, frame = %v, want white without the frame", path, got)
		}
		do(t, cr, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			css := true
			res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &css})
			pdf = res.Data
			return err
		}), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
			return err
		}))
		pages := regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf, -1)
		box := regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+(\d+)(?:\.\d+)?\s+(\d+)`).FindSubmatch(pdf)
		if !bytes.HasPrefix(pdf, []byte("%PDF")) || len(pages) != 1 || box == nil || string(box[1]) != "594" && string(box[1]) != "595" ||
			string(box[2]) != "841" && string(box[2]) != "842" {
			t.Errorf("%s printed: %d bytes, %d pages, media box %q; want one A4 page", path, len(pdf), len(pages), box)
		}
	}
}
