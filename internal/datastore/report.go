package datastore

import (
	"time"

	"dataport/internal/catalog"
	"dataport/internal/ingest"
)

// QualityReport is the quality report of one load, stored with its version:
// completeness, validity, uniqueness, timeliness and legality (合法、准确、
// 完整、及时). Error values are shown only to the providing institution
// and platform staff (see Redact).
type QualityReport struct {
	File         ingest.FileInfo   `json:"file"`
	Policy       OnError           `json:"policy"`
	RowsRead     int64             `json:"rows_read"`
	RowsLoaded   int64             `json:"rows_loaded"`
	RowsRejected int64             `json:"rows_rejected"`
	Items        []ItemQuality     `json:"items"`
	Errors       []ingest.RowError `json:"errors"`       // the first MaxReportErrors refused values
	ErrorCounts  []RefusalCount    `json:"error_counts"` // every refused value, by column and reason
	Unused       []string          `json:"unused_columns"`
	Duplicates   KeyDuplicates     `json:"duplicates"`
	Timeliness   TimelinessCheck   `json:"timeliness"`
	Legality     LegalityCheck     `json:"legality"`
	Rules        int               `json:"rules"` // CEL rules checked
	// Inference is how the items were inferred, on a first import that
	// inferred them from a sample of the file (nil otherwise).
	Inference *InferenceReport `json:"inference,omitempty"`
	Seconds   float64          `json:"seconds"`
}

// MaxReportErrors is how many refused values a report lists one by one.
const MaxReportErrors = 100

// ItemQuality is the completeness and validity of one item.
type ItemQuality struct {
	Name     string           `json:"name"`
	Label    string           `json:"label"`
	Type     catalog.ItemType `json:"type"`
	Mapped   string           `json:"column"` // the file column, "" when none
	Nulls    int64            `json:"nulls"`
	NullRate float64          `json:"null_rate"`
	Invalid  int64            `json:"invalid"`
}

// RefusalCount counts refused values of one column for one reason.
type RefusalCount struct {
	Column string `json:"column"`
	Reason string `json:"reason"`
	Count  int64  `json:"count"`
}

// KeyDuplicates reports the uniqueness of the key items.
type KeyDuplicates struct {
	Keys   []string `json:"keys"`
	Groups int64    `json:"groups"` // key values held by more than one record
	Rows   int64    `json:"rows"`   // records beyond the first of each such key
}

// TimelinessCheck compares the load with the resource's update frequency.
type TimelinessCheck struct {
	Frequency  catalog.Frequency `json:"frequency"`
	PreviousAt *time.Time        `json:"previous_at,omitempty"`
	DueAt      *time.Time        `json:"due_at,omitempty"` // when the previous version went stale
	Late       bool              `json:"late"`             // this load came after DueAt
}

// LegalityCheck reports personal information found in the data. Blocked means
// the resource does not declare personal information, so the version is
// held back from readers until an authorised person releases it.
type LegalityCheck struct {
	Declared   bool                `json:"declared_personal_info"`
	Findings   []ingest.PIIFinding `json:"findings"`
	Blocked    bool                `json:"blocked"`
	ReleasedBy string              `json:"released_by,omitempty"`
	Comment    string              `json:"release_comment,omitempty"`
}

// Redact removes the refused values (which may be personal data) for
// readers who are not the provider or platform staff.
func (r *QualityReport) Redact() {
	for i := range r.Errors {
		r.Errors[i].Value = ""
	}
	if r.Inference != nil {
		for i := range r.Inference.Changes {
			r.Inference.Changes[i].Value = ""
		}
	}
}

// Due returns when data loaded at t is stale under frequency f (zero for
// irregular and realtime): the timeliness rule, which the statistics'
// freshness indicator applies too.
func Due(f catalog.Frequency, t time.Time) time.Time { return due(f, t) }

// due returns when data loaded at t is stale under frequency f (zero for
// irregular and realtime, which have no fixed period).
func due(f catalog.Frequency, t time.Time) time.Time {
	switch f {
	case catalog.FreqDaily:
		return t.AddDate(0, 0, 2)
	case catalog.FreqWeekly:
		return t.AddDate(0, 0, 8)
	case catalog.FreqMonthly:
		return t.AddDate(0, 1, 3)
	case catalog.FreqQuarterly:
		return t.AddDate(0, 3, 7)
	case catalog.FreqYearly:
		return t.AddDate(1, 0, 15)
	}
	return time.Time{}
}
