package harvest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"dataport/internal/catalog/ckanpkg"
)

// fetchCKAN reads a CKAN portal's public datasets the way ckanext-harvest's
// CKAN harvester does: package_search sorted by id, 100 rows a page, start
// growing until a page is empty, and after a first run only those with
// metadata_modified since then. A page that repeats the one before means
// the portal ignores start, and stops the run with an error.
func fetchCKAN(ctx context.Context, client *http.Client, base string, since time.Time, opts Options) ([]Record, error) {
	q := url.Values{"rows": {"100"}, "sort": {"id asc"}}
	if !since.IsZero() {
		q.Set("fq", "metadata_modified:["+since.UTC().Format("2006-01-02T15:04:05.000000")+"Z TO *]")
	}
	var out []Record
	seen := map[string]bool{}
	var previous []byte
	for start := 0; ; start += 100 {
		q.Set("start", strconv.Itoa(start))
		body, err := get(ctx, client, base+"/api/3/action/package_search?"+q.Encode(), "application/json")
		if err != nil {
			return nil, err
		}
		if previous != nil && bytes.Equal(body, previous) {
			return nil, fmt.Errorf("harvest: %s: the paging does not seem to work (start=%d repeats the page before)", base, start)
		}
		previous = body
		var env struct {
			Success bool `json:"success"`
			Result  struct {
				Results []map[string]any `json:"results"`
			} `json:"result"`
			Error map[string]any `json:"error"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&env); err != nil || !env.Success {
			return nil, fmt.Errorf("harvest: %s: package_search failed: %v %v", base, err, env.Error)
		}
		if len(env.Result.Results) == 0 {
			return out, nil
		}
		for _, pkg := range env.Result.Results {
			r := recordOfPackage(pkg, base, opts)
			if !seen[r.RemoteID] { // datasets changing while we page may appear twice
				seen[r.RemoteID] = true
				out = append(out, r)
			}
		}
	}
}

// recordOfPackage reads one package dict.
func recordOfPackage(pkg map[string]any, base string, opts Options) Record {
	str := func(k string) string { s, _ := pkg[k].(string); return s }
	r := Record{RemoteID: str("id"), Name: firstNonEmpty(str("name"), str("id"))}
	r.Modified, _ = time.Parse("2006-01-02T15:04:05.999999", str("metadata_modified"))
	if r.RemoteID == "" {
		r.Err = fmt.Errorf("the package has no id")
		return r
	}
	if str("type") == "harvest" {
		r.Err = fmt.Errorf("a harvest source, not a dataset")
		return r
	}
	r.Input, r.Err = ckanpkg.InputOf(pkg)
	if r.Err == nil {
		r.Placeholder = defaults(&r.Input, base, opts)
	}
	return r
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// get fetches url and returns its body, failing on a status other than 200.
func get(ctx context.Context, client *http.Client, u, accept string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil { // e.g. a DCAT page whose next page is a blank node
		return nil, fmt.Errorf("harvest: not an address to fetch: %w", err)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "dataport-harvest")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("harvest: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("harvest: read %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("harvest: GET %s: %s", u, resp.Status)
	}
	return body, nil
}
