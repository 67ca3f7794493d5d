package ui

import (
	"fmt"
	"net/http"
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/search"
	"dataport/internal/store"
)

// accessInfo is the resource page's "how to get it" section: the open and
// share terms in plain words, and how to reach the resource by the CKAN API
// and DCAT, with examples to copy. Only published resources have one.
type accessInfo struct {
	Name                          string // the dataset's name: its catalog code in lower case
	CKANURL, TurtleURL, JSONLDURL string
	Curl, Python                  string
}

// siteBase is the address the request reached the site at, for examples
// a user copies.
func siteBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// withAccess adds the access section to page when its resource is published.
func withAccess(r *http.Request, page *resourcePage) {
	if page.Resource.Status != catalog.StatusPublished {
		return
	}
	base, name := siteBase(r), search.Name(page.Resource)
	ckanURL := base + "/api/3/action/package_show?id=" + name
	page.Access = &accessInfo{Name: name, CKANURL: ckanURL,
		TurtleURL: "/dataset/" + name + ".ttl", JSONLDURL: "/dataset/" + name + ".jsonld",
		Curl: fmt.Sprintf("# %s\ncurl '%s'\n\n# DCAT-AP (Turtle)\ncurl -H 'Accept: text/turtle' '%s/dataset/%s'",
			"CKAN API", ckanURL, base, name),
		Python: fmt.Sprintf(`import requests

r = requests.get("%s/api/3/action/package_show", params={"id": "%s"})
dataset = r.json()["result"]
print(dataset["title"], [res["format"] for res in dataset["resources"]])

# or with the ckanapi client:
# from ckanapi import RemoteCKAN
# dataset = RemoteCKAN("%s").action.package_show(id="%s")`, base, name, base, name)}
}

// datasetPage serves /dataset/{name} (the address CKAN users know): the
// resource page, found by the dataset's name.
func (s *server) datasetPage(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if name == "" || strings.ContainsAny(name, "/.") {
		return fmt.Errorf("dataset %q: %w", name, store.ErrNotFound)
	}
	res, err := s.catalog.GetByCode(r.Context(), principal(r), strings.ToUpper(name))
	if err != nil {
		return err
	}
	page, err := s.loadResourcePage(r.Context(), principal(r), res.ID)
	if err != nil {
		return err
	}
	withAccess(r, &page)
	if err := s.withDataset(r, &page); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "resource", page)
}
