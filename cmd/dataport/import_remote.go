package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"dataport/internal/datastore"
	"dataport/internal/ingest"

	"github.com/spf13/cobra"
)

// importRemote loads through a server's API with a token: it creates the
// inferred resource (with --infer), then streams the file to
// POST /api/v1/resources/{id}/data.
func importRemote(cmd *cobra.Command, opt importOptions, path string) (importResult, error) {
	c := &apiClient{base: strings.TrimSuffix(opt.url, "/") + "/api/v1", token: opt.token, http: &http.Client{Timeout: 6 * time.Hour}}
	var res importResult
	if opt.infer {
		// The server's upload API loads into declared items: infer them
		// from every record here.
		in, _, err := inferInput(opt, path, 0)
		if err != nil {
			return res, err
		}
		body := map[string]any{"organization_id": opt.org}
		raw, _ := json.Marshal(in)
		json.Unmarshal(raw, &body)
		var created struct{ ID, Code string }
		if err := c.call(http.MethodPost, "/resources", body, &created); err != nil {
			return res, fmt.Errorf("create the resource: %w", err)
		}
		res.ID, res.Code = created.ID, created.Code
		fmt.Fprintf(cmd.ErrOrStderr(), "created draft resource %s (%s) with %d inferred items\n", res.Code, res.ID, len(in.Items))
	} else {
		var err error
		if res.ID, res.Code, err = c.resolve(opt.resource); err != nil {
			return res, err
		}
	}
	file, size, err := openFile(path)
	if err != nil {
		return res, err
	}
	defer file.Close()
	b := newBar(opt.quiet, size, cmd.ErrOrStderr())
	q := url.Values{"name": {filepath.Base(path)}, "sheet": {opt.sheet}, "encoding": {opt.encoding}, "delimiter": {opt.delimiter}}
	req, err := http.NewRequestWithContext(cmd.Context(), http.MethodPost, c.base+"/resources/"+res.ID+"/data?"+q.Encode(),
		&progressReader{r: file, bar: b})
	if err != nil {
		return res, err
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	var v datastore.DataVersion
	err = c.do(req, &v)
	b.finish()
	if err != nil {
		return res, err
	}
	res.Rows, res.Version, res.Rejected, res.Status = v.Rows, v.Version, v.Rejected, v.Status
	return res, nil
}

// progressReader reports bytes sent to the bar.
type progressReader struct {
	r   io.Reader
	n   int64
	bar *bar
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	p.bar.update(datastore.Progress{Bytes: p.n})
	return n, err
}

type apiClient struct {
	base, token string
	http        *http.Client
}

func (c *apiClient) call(method, path string, body, out any) error {
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(req, out)
}

// do sends req and decodes a 2xx answer into out; a problem answer becomes
// an error (a *datastore.LoadError when it lists refused values).
func (c *apiClient) do(req *http.Request, out any) error {
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 == 2 {
		return json.Unmarshal(body, out)
	}
	var p struct {
		Detail string `json:"detail"`
		Errors []struct {
			Location, Message string
			Value             any
		} `json:"errors"`
	}
	if json.Unmarshal(body, &p) != nil || p.Detail == "" {
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	if resp.StatusCode != http.StatusUnprocessableEntity || len(p.Errors) == 0 {
		return fmt.Errorf("%s: %s", resp.Status, p.Detail)
	}
	le := &datastore.LoadError{Reason: p.Detail}
	for _, e := range p.Errors {
		var row int64
		col := ""
		if rest, ok := strings.CutPrefix(e.Location, "file.row["); ok {
			n, after, _ := strings.Cut(rest, "]")
			fmt.Sscan(n, &row)
			col = strings.TrimPrefix(after, ".")
		} else {
			col = e.Location
		}
		v, _ := e.Value.(string)
		le.Errors = append(le.Errors, ingest.RowError{Row: row, Column: col, Value: v, Reason: e.Message})
	}
	return le
}

// resolve finds a resource by id or catalog code.
func (c *apiClient) resolve(ref string) (string, string, error) {
	var r struct{ ID, Code string }
	if err := c.call(http.MethodGet, "/resources/"+url.PathEscape(ref), nil, &r); err == nil {
		return r.ID, r.Code, nil
	}
	var list struct {
		Items []struct{ ID, Code string } `json:"items"`
	}
	if err := c.call(http.MethodGet, "/resources?limit=200&q="+url.QueryEscape(ref), nil, &list); err != nil {
		return "", "", err
	}
	for _, it := range list.Items {
		if it.Code == ref {
			return it.ID, it.Code, nil
		}
	}
	return "", "", fmt.Errorf("--resource %s: no such resource visible to the token's user", ref)
}
