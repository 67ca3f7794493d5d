package ckan

import (
	"bytes"
	"encoding/json"

	"dataport/internal/search"
)

// packageEncoder encodes a search hit as a CKAN package in JSON. The
// search index keeps what it returns by the stored document's hash and the
// site address (Key), so a search answer splices the packages in instead
// of building and encoding each again, and a change is never served stale.
type packageEncoder struct{ base string }

func (p packageEncoder) Key() string { return p.base }

func (p packageEncoder) Encode(h search.Hit) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(packageOf(p.base, h.Resource, h.Org)); err != nil {
		return nil, err
	}
	// A copy of exactly the text: the buffer's spare capacity would
	// otherwise stay in the cache with every entry.
	return bytes.Clone(bytes.TrimRight(buf.Bytes(), "\n")), nil
}
