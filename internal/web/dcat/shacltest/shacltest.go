// Package shacltest validates RDF documents against the official DCAT-AP
// 3.0.1 SHACL shapes (copied in testdata/) with a real SHACL engine: the npm
// package rdf-validate-shacl, run by scripts/shacl/validate.mjs. Tests that
// use it skip when node or the npm modules are missing, unless
// DATAPORT_REQUIRE_SHACL is set (CI sets it after `npm ci --prefix
// scripts/shacl`), when they fail instead.
package shacltest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Result is one SHACL validation result, its terms written as IRIs, _:blank
// or quoted literals.
type Result struct {
	Severity   string `json:"severity"` // Violation, Warning or Info
	FocusNode  string `json:"focusNode"`
	Path       string `json:"path"`
	Value      string `json:"value"`
	Constraint string `json:"constraint"` // sh:MinCountConstraintComponent ...
	Shape      string `json:"shape"`
	Message    string `json:"message"`
}

func (r Result) String() string {
	return fmt.Sprintf("%s %s %s %s: %s", r.FocusNode, r.Path, r.Value, r.Constraint, r.Message)
}

// Report is what the shapes say about one data file: Violations and
// Warnings (lower severities) of shapes.ttl + range.ttl, and the results of
// shapes_recommended.ttl.
type Report struct {
	File        string   `json:"file"`
	Violations  []Result `json:"violations"`
	Warnings    []Result `json:"warnings"`
	Recommended []Result `json:"recommended"`
}

// Validator runs the validation script.
type Validator struct {
	node, script, shapes string
}

// New returns a validator, or skips t with the reason when node or the
// script's npm modules are missing (fails t when DATAPORT_REQUIRE_SHACL is
// set).
func New(t testing.TB) *Validator {
	t.Helper()
	v, err := find()
	if err != nil {
		if os.Getenv("DATAPORT_REQUIRE_SHACL") != "" {
			t.Fatalf("SHACL validation is required (DATAPORT_REQUIRE_SHACL) but cannot run: %v", err)
		}
		t.Skipf("SHACL validation skipped: %v (run `npm ci --prefix scripts/shacl`)", err)
	}
	return v
}

func find() (*Validator, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("node is not installed")
	}
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, "scripts", "shacl")
	for _, m := range []string{"rdf-validate-shacl", "n3", "jsonld"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", m, "package.json")); err != nil {
			return nil, fmt.Errorf("the npm module %s is not installed in %s", m, dir)
		}
	}
	return &Validator{node: node, script: filepath.Join(dir, "validate.mjs"),
		shapes: filepath.Join(root, "internal", "web", "dcat", "shacltest", "testdata", "dcat-ap-3.0.1")}, nil
}

// moduleRoot is the directory of go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Validate validates each file (Turtle, or JSON-LD when it ends in .jsonld)
// on its own and returns one report per file, in order. A file the engine
// cannot read fails t.
func (v *Validator) Validate(t testing.TB, files ...string) []Report {
	t.Helper()
	args := []string{v.script, "--json",
		"--shapes", filepath.Join(v.shapes, "shapes.ttl"), "--shapes", filepath.Join(v.shapes, "range.ttl"),
		"--recommended", filepath.Join(v.shapes, "shapes_recommended.ttl")}
	cmd := exec.Command(v.node, append(args, files...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) { // 1: violations found
		t.Fatalf("validate.mjs: %v\n%s", err, stderr.String())
	}
	var out struct {
		Files []Report `json:"files"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil || len(out.Files) != len(files) {
		t.Fatalf("validate.mjs printed no report for %d files (%v):\n%s\n%s", len(files), err, stdout.String(), stderr.String())
	}
	return out.Files
}

// ValidateDocs writes each document (name → content; the name's extension,
// .ttl or .jsonld, gives the syntax) to a temporary directory and validates
// them all in one run.
func (v *Validator) ValidateDocs(t testing.TB, docs map[string]string) []Report {
	t.Helper()
	dir := t.TempDir()
	var files []string
	for name, body := range docs {
		f := filepath.Join(dir, strings.ReplaceAll(name, "/", "_"))
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return v.Validate(t, files...)
}

// Conforms fails t with every violation in reports and returns how many
// there were.
func Conforms(t testing.TB, reports []Report) int {
	t.Helper()
	n := 0
	for _, r := range reports {
		for _, res := range r.Violations {
			t.Errorf("%s: violation: %s", filepath.Base(r.File), res)
			n++
		}
	}
	return n
}

// Recommended counts the recommended shapes' results in reports by the
// property they miss.
func Recommended(reports []Report) map[string]int {
	counts := map[string]int{}
	for _, r := range reports {
		for _, res := range r.Recommended {
			counts[res.Path]++
		}
	}
	return counts
}
