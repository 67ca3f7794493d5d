package app

import (
	"slices"

	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/datastore"
	"dataport/internal/ingest"
)

// Datastore returns the service that loads and serves resource rows. It
// holds no state of its own, so each call may build a new one. Its
// legality check is the classification package's column scanner; rows an
// access decision names a de-identification profile for pass through it
// (deid.go).
func (a *App) Datastore() *datastore.Service {
	var dd datastore.Deidentifier
	if a.Profiles != nil {
		dd = deidRows{profiles: a.Profiles} // reads whose decision names a profile are served de-identified
	}
	return datastore.New(datastore.Config{DB: a.DB, Catalog: a.Catalog, Access: a.Access, Log: a.Config.Log,
		PersonalInfo: classifyCheck{}, Deid: dd, SQL: datastore.SQLConfig{Enabled: a.Config.DatastoreSQL}})
}

// classifyCheck runs the classification scanner over a load's sample of
// one column (its Chinese label as the header hint) and reports the direct
// identifiers of persons it detects. Addresses, coordinates, plates and
// landlines are left out: in public data they mostly belong to
// organisations and places, and this check blocks publication.
type classifyCheck struct{}

// blockingTypes are the detections that hold a version back.
var blockingTypes = []classify.Type{classify.ResidentID, classify.Mobile, classify.BankCard, classify.Passport,
	classify.Email, classify.PersonName}

func (classifyCheck) CheckColumn(item catalog.Item, values []string) []ingest.PIIFinding {
	sc := classify.NewScanner([]string{item.LabelZh})
	for _, v := range values {
		sc.Add([]string{v})
	}
	res := sc.Result()
	if len(res.Columns) == 0 || res.Columns[0].Detected == nil || !slices.Contains(blockingTypes, *res.Columns[0].Detected) {
		return nil
	}
	t := *res.Columns[0].Detected
	return []ingest.PIIFinding{{Item: item.Name, Kind: string(t), Matches: res.Columns[0].Matches[t], Sampled: len(values)}}
}
