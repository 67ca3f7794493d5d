// Command archdoc regenerates the package table of docs/architecture.md
// from the code (each package's doc comment and its internal imports).
// Run it from the module root: go run ./scripts/archdoc
package main

import (
	"log"

	"dataport/internal/archdoc"
)

func main() {
	if err := archdoc.Write(".", "docs/architecture.md"); err != nil {
		log.Fatal(err)
	}
}
