// Package archdoc writes the package table of docs/architecture.md from the
// code. It reads each package's doc comment and its imports among the
// module's packages, and writes them between markers, so that the document
// says what the code does. scripts/archdoc runs it;
// internal/archtest checks the document is current and the imports keep to
// the directions the document allows.
package archdoc

import (
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Module is the module path of the code archdoc reads.
const Module = "dataport"

// Package is one package of the module.
type Package struct {
	Path    string   // import path, e.g. dataport/internal/catalog
	Purpose string   // the first sentence of its doc comment, without "Package x"
	Imports []string // the module's packages it imports (not its tests), sorted
}

// Rel is the package's path within the module ("internal/catalog").
func (p Package) Rel() string { return strings.TrimPrefix(p.Path, Module+"/") }

// Load reads every non-test package under root's internal and cmd folders
// (testdata left out), sorted by path.
func Load(root string) ([]Package, error) {
	var out []Package
	for _, top := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(dir string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
			bp, err := build.ImportDir(dir, 0)
			if _, none := err.(*build.NoGoError); none {
				return nil
			}
			if err != nil {
				return fmt.Errorf("archdoc: %s: %w", dir, err)
			}
			rel, _ := filepath.Rel(root, dir)
			p := Package{Path: Module + "/" + filepath.ToSlash(rel), Purpose: purpose(bp.Doc)}
			for _, imp := range bp.Imports {
				if strings.HasPrefix(imp, Module+"/") {
					p.Imports = append(p.Imports, imp)
				}
			}
			slices.Sort(p.Imports)
			out = append(out, p)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b Package) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// purpose is the first sentence of a package doc, without its "Package x"
// or "Command x" subject, cut at its first colon.
func purpose(doc string) string {
	s := strings.Join(strings.Fields(doc), " ")
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSuffix(s, ".")
	if i := strings.Index(s, ": "); i >= 0 {
		s = s[:i]
	}
	if f := strings.SplitN(s, " ", 3); len(f) == 3 && (f[0] == "Package" || f[0] == "Command") {
		s = f[2]
	}
	return s
}

// Markers delimit the generated table in the document.
const (
	Begin = "<!-- archdoc:packages begin (go run ./scripts/archdoc writes this table from the code) -->"
	End   = "<!-- archdoc:packages end -->"
)

// Table writes the packages as a Markdown table: the package, what it is
// (its doc comment's first sentence) and the module's packages it imports.
func Table(pkgs []Package) string {
	var b strings.Builder
	b.WriteString("| package | what it is | imports (internal) |\n|---|---|---|\n")
	for _, p := range pkgs {
		imps := make([]string, len(p.Imports))
		for i, imp := range p.Imports {
			imps[i] = strings.TrimPrefix(imp, Module+"/internal/")
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", p.Rel(), strings.ReplaceAll(p.Purpose, "|", `\|`), strings.Join(imps, ", "))
	}
	return b.String()
}

// Update returns doc with the text between the markers replaced by table.
func Update(doc, table string) (string, error) {
	i, j := strings.Index(doc, Begin), strings.Index(doc, End)
	if i < 0 || j < i {
		return "", fmt.Errorf("archdoc: the document lacks the markers %q and %q", Begin, End)
	}
	return doc[:i+len(Begin)] + "\n" + table + doc[j:], nil
}

// Write regenerates the table in the document at path from the code under root.
func Write(root, path string) error {
	pkgs, err := Load(root)
	if err != nil {
		return err
	}
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := Update(string(doc), Table(pkgs))
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(out), 0o644)
}
