package datastore

import (
	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/ingest"
)

// ClassifyCheck is the legality check of loads on the classification
// package's column scanner: a column of a load's sample (its Chinese label
// as the header hint) in which classify.BlocksPublication finds a direct
// identifier of persons is reported, which holds the version back unless
// the resource declares personal information.
type ClassifyCheck struct{}

// CheckColumn implements ingest.PersonalInfoCheck.
func (ClassifyCheck) CheckColumn(item catalog.Item, values []string) []ingest.PIIFinding {
	t, matches, ok := classify.BlocksPublication(item.LabelZh, values)
	if !ok {
		return nil
	}
	return []ingest.PIIFinding{{Item: item.Name, Kind: string(t), Matches: matches, Sampled: len(values)}}
}
