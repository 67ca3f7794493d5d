package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// jsonReader streams an array of objects, or objects one after another
// (NDJSON). The first object's keys, in order, are the header; a later
// object may omit keys but not add new ones.
type jsonReader struct {
	dec    *json.Decoder
	budget *budget // bounds what the decoder buffers for one record
	limits Limits
	array  bool
	header []string
	index  map[string]int
	first  []string // the first record, returned by the first Next
	rec    []string
	row    int64
	info   FileInfo
	done   bool
	err    error  // the *LimitError that ended the reading
	key    string // the key whose value is being read
}

func openJSON(br *bufio.Reader, head []byte, lim Limits) (Reader, error) {
	if reason := binaryReason(head); reason != "" {
		return nil, &FileError{Reason: "the file is not JSON text: " + reason, Err: ErrBinary}
	}
	if bytes.HasPrefix(head, utf8BOM) {
		br.Discard(3)
	}
	// The decoder's buffer may grow to twice the largest record it holds.
	b := &budget{r: br, limit: 2*lim.MaxRecordBytes + readSlack}
	dec := json.NewDecoder(b)
	dec.UseNumber()
	j := &jsonReader{dec: dec, budget: b, limits: lim, info: FileInfo{Format: NDJSON}}
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		j.array, j.info.Format = true, JSON
		if _, err := dec.Token(); err != nil {
			return nil, &FileError{Reason: "the file is not valid JSON: " + err.Error()}
		}
	}
	keys, vals, err := j.object()
	if err == io.EOF {
		return nil, &FileError{Reason: "the file holds no records", Err: ErrEmpty}
	}
	if err != nil {
		var e *RowError
		if errors.As(err, &e) {
			return nil, &FileError{Reason: e.Error()}
		}
		return nil, err
	}
	if len(keys) == 0 {
		return nil, &FileError{Reason: "row 1: the first record has no keys, so the file has no columns"}
	}
	if err := checkWidth(len(keys), lim); err != nil {
		return nil, err
	}
	j.header, j.first = keys, vals
	j.index = make(map[string]int, len(keys))
	for i, k := range keys {
		j.index[k] = i
	}
	if err := checkHeader(keys); err != nil {
		return nil, err
	}
	return j, nil
}

func (j *jsonReader) Header() []string { return j.header }
func (j *jsonReader) Row() int64       { return j.row }
func (j *jsonReader) Info() FileInfo   { return j.info }
func (j *jsonReader) Close() error     { return nil }

// Next returns the next object's values in header order.
func (j *jsonReader) Next() ([]string, error) {
	if j.first != nil {
		rec := j.first
		j.first = nil
		return rec, nil
	}
	keys, vals, err := j.object()
	if err != nil {
		return nil, err
	}
	if cap(j.rec) < len(j.header) {
		j.rec = make([]string, len(j.header))
	}
	rec := j.rec[:len(j.header)]
	clear(rec)
	for i, k := range keys {
		at, ok := j.index[k]
		if !ok {
			return nil, &RowError{Row: j.row, Column: k, Reason: "is a key the first record does not have"}
		}
		rec[at] = vals[i]
	}
	return rec, nil
}

// object reads one object as its keys and scalar values (as text). A
// record beyond the limits is a *LimitError, after which nothing is read.
func (j *jsonReader) object() ([]string, []string, error) {
	if j.err != nil {
		return nil, nil, j.err
	}
	if j.done {
		return nil, nil, io.EOF
	}
	j.budget.reset()
	start := j.dec.InputOffset()
	keys, vals, err := j.readObject()
	if errors.Is(err, errOverBudget) {
		le := recordTooLong(j.row, j.limits.MaxRecordBytes, true, j.limits)
		le.Column = j.key
		err = le
	} else if size := j.dec.InputOffset() - start; size > j.limits.MaxRecordBytes && err != io.EOF {
		err = recordTooLong(j.row, size, false, j.limits)
	}
	var le *LimitError
	if errors.As(err, &le) {
		j.err, j.done = le, true
		j.budget.limit = 0
		return nil, nil, le
	}
	return keys, vals, err
}

func (j *jsonReader) readObject() ([]string, []string, error) {
	j.key = ""
	if j.array && !j.dec.More() {
		j.done = true
		if _, err := j.dec.Token(); err != nil { // the closing ]
			return nil, nil, &RowError{Row: j.row + 1, Reason: "the JSON array is not closed: " + err.Error()}
		}
		return nil, nil, io.EOF
	}
	tok, err := j.dec.Token()
	if err == io.EOF && !j.array {
		j.done = true
		return nil, nil, io.EOF
	}
	j.row++
	if errors.Is(err, errOverBudget) {
		return nil, nil, err
	}
	if err != nil {
		j.done = true
		return nil, nil, &RowError{Row: j.row, Reason: "is not valid JSON: " + err.Error()}
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		if err := j.skip(tok, ""); err != nil {
			return nil, nil, err
		}
		return nil, nil, &RowError{Row: j.row, Reason: fmt.Sprintf("is %s, not an object", describe(tok))}
	}
	var keys, vals []string
	var bad *RowError
	for j.dec.More() {
		kt, err := j.dec.Token()
		if err != nil {
			return nil, nil, j.invalid("", err)
		}
		key, _ := kt.(string)
		j.key = key
		vt, err := j.dec.Token()
		if err != nil {
			return nil, nil, j.invalid(key, err)
		}
		v, ok := scalar(vt)
		if !ok {
			if err := j.skip(vt, key); err != nil {
				return nil, nil, err
			}
			if bad == nil {
				bad = &RowError{Row: j.row, Column: key, Reason: fmt.Sprintf("is %s: values must be text, numbers, booleans or null", describe(vt))}
			}
		}
		keys, vals = append(keys, strings.TrimSpace(key)), append(vals, v)
	}
	if _, err := j.dec.Token(); err != nil { // the closing }
		return nil, nil, j.invalid("", err)
	}
	if bad != nil {
		return nil, nil, bad
	}
	return keys, vals, nil
}

func scalar(tok json.Token) (string, bool) {
	switch v := tok.(type) {
	case nil:
		return "", true
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		if v {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

// invalid ends the reading at a JSON syntax error (or a read over budget,
// returned as is) in the record's value for key.
func (j *jsonReader) invalid(key string, err error) error {
	j.done = true
	if errors.Is(err, errOverBudget) {
		return err
	}
	return &RowError{Row: j.row, Column: key, Reason: "is not valid JSON: " + err.Error()}
}

// skip consumes the rest of a nested array or object that began with tok,
// the value of key (or the record itself), refusing to nest deeper than
// MaxDepth counting the record's own object.
func (j *jsonReader) skip(tok json.Token, key string) error {
	d, ok := tok.(json.Delim)
	if !ok || (d != '{' && d != '[') {
		return nil
	}
	outer := 1 // the record's object
	if key == "" {
		outer = 0
	}
	for depth := 1; depth > 0; {
		if outer+depth > j.limits.MaxDepth {
			return &LimitError{Row: j.row, Column: key, Size: int64(outer + depth), Limit: int64(j.limits.MaxDepth),
				Reason: fmt.Sprintf("arrays and objects nest more than %d levels deep, over the limit", j.limits.MaxDepth)}
		}
		t, err := j.dec.Token()
		if err != nil {
			j.done = true
			if errors.Is(err, errOverBudget) {
				return err
			}
			return nil
		}
		if d, ok := t.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}
		return "an object"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "not a value"
}
