package ui_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"dataport/internal/ingest/ingesttest"
)

// rosterWorkbook is an institution's workbook: a title merged across the
// table, a unit line, the header, and rows with a phone column.
func rosterWorkbook(t *testing.T) []byte {
	return ingesttest.Sheet(t, [][]any{
		{"京华市公共自行车服务网点联系人名单"},
		{nil, nil, nil, "单位：个"},
		{"网点名称", "联系人", "联系电话", "车桩数"},
		{"东直门站", "王建国", "13912345678", 30},
		{"鼓楼站", "李秀英", "13811112222", 24},
		{"安定门站", "张伟", "13700001111", 18},
	}, [2]string{"A1", "D1"})
}

// postInfer posts the new resource form as its infer button does:
// multipart, csrf_token first, the fields, then the sample file if any.
func postInfer(t *testing.T, b *browser, token string, fields url.Values, name string, file []byte) page {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf_token", token)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if file != nil {
		fw, err := mw.CreateFormFile("sample", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.base+"/my/resources/infer", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.read(b.client.Do(req))
}

var sampleIDField = regexp.MustCompile(`name="sample_id" value="([0-9a-f]+)"`)

func TestInferItemsFromSample(t *testing.T) {
	p := newPortal(t)
	b := p.browser()
	b.login("editor.li")
	token := b.csrf("/my/resources/new")
	fields := url.Values{"organization_id": {p.org.ID}, "title_zh": {"公共自行车网点"}, "action": {"infer"}}

	pg := postInfer(t, b, token, fields, "网点.xlsx", rosterWorkbook(t))
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg,
		`value="公共自行车网点"`,                                  // the fields typed so far are kept
		`name="items.0.label_zh" type="text" value="网点名称"`, // the header under the title and unit lines
		`name="items.2.label_zh" type="text" value="联系电话"`,
		`<option value="integer" selected>`, // 车桩数
		`id="header-row-3" checked`,         // the header row found, offered to change
		`个人信息：手机号码`,                         // the phone column flagged
		`id="field-personal_info" checked`,
		`value="XLSX" id="field-formats-XLSX" checked`,
		`name="csrf_token" value="`+token+`"`) // the form shown again can be posted again
	m := sampleIDField.FindStringSubmatch(pg.body)
	if m == nil {
		t.Fatalf("no sample_id in the form:\n%s", pg.body)
	}

	// Another header row, without uploading again: row 4 is a data row,
	// whose values become the labels.
	fields.Set("sample_id", m[1])
	fields.Set("header_row", "4")
	pg = postInfer(t, b, token, fields, "", nil)
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, `name="items.0.label_zh" type="text" value="东直门站"`, `id="header-row-4" checked`)

	// Row 2 has one cell: the header it makes has nameless columns, said in
	// the page's language.
	fields.Set("header_row", "2")
	pg = postInfer(t, b, token, fields, "", nil)
	mustStatus(t, pg, http.StatusUnprocessableEntity)
	mustContain(t, pg, "样例文件：表头第 1 列没有名称")

	// Another user cannot use the sample.
	other := p.browser()
	other.login("operator.wang")
	pg = postInfer(t, other, other.csrf("/account"), url.Values{"sample_id": {m[1]}}, "", nil)
	if pg.status == http.StatusOK {
		t.Errorf("another user's sample was read: %d", pg.status)
	}

	// Without the CSRF token nothing is read.
	pg = postInfer(t, b, "wrong", fields, "网点.xlsx", rosterWorkbook(t))
	mustStatus(t, pg, http.StatusForbidden)

	// A file that is no table is refused in the page's language.
	pg = postInfer(t, b, token, url.Values{"organization_id": {p.org.ID}}, "x.xlsx", []byte("\x00\x01not a table"))
	mustStatus(t, pg, http.StatusUnprocessableEntity)
	mustContain(t, pg, "样例文件：")
}
