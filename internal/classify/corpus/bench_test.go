package corpus

import (
	"testing"
)

// BenchmarkScanCorpus measures scanning the corpus of seed 1 as `dataport
// scan` reads files: encoding detection and decoding (a third of the tables
// are GB18030), CSV parsing, detection of every value and the column
// decisions. Reported in MB/s of file bytes.
func BenchmarkScanCorpus(b *testing.B) {
	var files [][]byte
	size := 0
	for _, t := range Generate(1, Options{}) {
		data, err := t.File()
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
		size += len(data)
	}
	b.SetBytes(int64(size))
	b.ResetTimer()
	for range b.N {
		for _, data := range files {
			scanFile(b, data)
		}
	}
}
