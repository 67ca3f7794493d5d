// Package archtest checks that the code keeps to docs/architecture.md: the
// package table there is what scripts/archdoc writes from the code, and no
// package imports across a line the document forbids (imports_test.go).
package archtest
