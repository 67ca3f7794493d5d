package dsp

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// schemaFiles are the Dataspace Protocol's JSON Schemas (schemas/README.md).
//
//go:embed schemas/*/*-schema.json
var schemaFiles embed.FS

// SchemaBase is the URL the schemas' $ids start with; the rest of an $id
// is the schema's path under schemas/.
const SchemaBase = "https://w3id.org/dspace/2025/1/"

// Schema names the JSON Schema of a message or state object by its path
// under SchemaBase.
type Schema string

// The schemas of the messages the provider sends and receives.
const (
	SchemaCatalogRequest       Schema = "catalog/catalog-request-message-schema.json"
	SchemaCatalog              Schema = "catalog/catalog-schema.json"
	SchemaDataset              Schema = "catalog/dataset-schema.json"
	SchemaCatalogError         Schema = "catalog/catalog-error-schema.json"
	SchemaVersion              Schema = "common/protocol-version-schema.json"
	SchemaContractRequest      Schema = "negotiation/contract-request-message-schema.json"
	SchemaContractOffer        Schema = "negotiation/contract-offer-message-schema.json"
	SchemaContractAgreement    Schema = "negotiation/contract-agreement-message-schema.json"
	SchemaAgreementVerify      Schema = "negotiation/contract-agreement-verification-message-schema.json"
	SchemaNegotiationEvent     Schema = "negotiation/contract-negotiation-event-message-schema.json"
	SchemaNegotiationTerminate Schema = "negotiation/contract-negotiation-termination-message-schema.json"
	SchemaNegotiation          Schema = "negotiation/contract-negotiation-schema.json"
	SchemaNegotiationError     Schema = "negotiation/contract-negotiation-error-schema.json"
	SchemaTransferRequest      Schema = "transfer/transfer-request-message-schema.json"
	SchemaTransferStart        Schema = "transfer/transfer-start-message-schema.json"
	SchemaTransferCompletion   Schema = "transfer/transfer-completion-message-schema.json"
	SchemaTransferSuspension   Schema = "transfer/transfer-suspension-message-schema.json"
	SchemaTransferTermination  Schema = "transfer/transfer-termination-message-schema.json"
	SchemaTransferProcess      Schema = "transfer/transfer-process-schema.json"
	SchemaTransferError        Schema = "transfer/transfer-error-schema.json"
)

// schemas lists every schema a message is validated against.
var schemas = []Schema{SchemaCatalogRequest, SchemaCatalog, SchemaDataset, SchemaCatalogError, SchemaVersion,
	SchemaContractRequest, SchemaContractOffer, SchemaContractAgreement, SchemaAgreementVerify, SchemaNegotiationEvent,
	SchemaNegotiationTerminate, SchemaNegotiation, SchemaNegotiationError, SchemaTransferRequest, SchemaTransferStart,
	SchemaTransferCompletion, SchemaTransferSuspension, SchemaTransferTermination, SchemaTransferProcess, SchemaTransferError}

// ErrInvalid is wrapped by every error of Validate: the document is not
// JSON or breaks its schema.
var ErrInvalid = errors.New("dsp: message does not validate against its schema")

// compiled holds the schemas, compiled once from the embedded files.
var compiled = sync.OnceValues(compileSchemas)

// compileSchemas compiles every schema offline: each embedded file is
// added under its $id, and a loader that refuses every URL stands in for
// the network, so a $ref to anything not embedded fails here.
func compileSchemas() (map[Schema]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.UseLoader(offline{})
	err := fs.WalkDir(schemaFiles, "schemas", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := schemaFiles.ReadFile(path)
		if err != nil {
			return err
		}
		// The quirk of three transfer schemas (schemas/README.md).
		raw = bytes.ReplaceAll(raw, []byte(`.json#definitions/`), []byte(`.json#/definitions/`))
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return fmt.Errorf("dsp: schema %s: %w", path, err)
		}
		return c.AddResource(SchemaBase+strings.TrimPrefix(path, "schemas/"), doc)
	})
	if err != nil {
		return nil, err
	}
	out := make(map[Schema]*jsonschema.Schema, len(schemas))
	for _, s := range schemas {
		sch, err := c.Compile(SchemaBase + string(s))
		if err != nil {
			return nil, fmt.Errorf("dsp: compile %s: %w", s, err)
		}
		out[s] = sch
	}
	return out, nil
}

// offline is the schema loader: every schema is embedded, nothing is fetched.
type offline struct{}

func (offline) Load(url string) (any, error) {
	return nil, fmt.Errorf("dsp: schema %s is not embedded (no schema is fetched from the network)", url)
}

// Validate checks doc, a JSON document, against schema s. The error wraps
// ErrInvalid and names where the document breaks the schema.
func Validate(s Schema, doc []byte) error {
	all, err := compiled()
	if err != nil {
		return err
	}
	sch, ok := all[s]
	if !ok {
		return fmt.Errorf("dsp: unknown schema %q", s)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("%w: not JSON: %v", ErrInvalid, err)
	}
	var verr *jsonschema.ValidationError
	if err := sch.Validate(inst); errors.As(err, &verr) {
		return &SchemaError{Schema: s, Problems: problems(verr)}
	} else if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil
}

// SchemaError is a document that breaks its schema: Problems say where
// ("/offer/permission: minItems: got 0, want 1"), at most maxProblems.
type SchemaError struct {
	Schema   Schema
	Problems []string
}

const maxProblems = 5

func (e *SchemaError) Error() string {
	return fmt.Sprintf("%v (%s): %s", ErrInvalid, e.Schema, strings.Join(e.Problems, "; "))
}

func (e *SchemaError) Unwrap() error { return ErrInvalid }

var english = message.NewPrinter(language.English)

// problems flattens a validation error into its leaf causes, each with the
// instance location it is about.
func problems(e *jsonschema.ValidationError) []string {
	var out []string
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(out) >= maxProblems {
			return
		}
		if len(e.Causes) == 0 {
			p := "/" + strings.Join(e.InstanceLocation, "/") + ": " + e.ErrorKind.LocalizedString(english)
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(e)
	return out
}
