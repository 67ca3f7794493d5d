package app

import (
	"dataport/internal/datastore"
)

// Datastore returns the service that loads and serves resource rows. It
// holds no state of its own, so each call may build a new one. Its
// legality check is the classification package's column scanner
// (datastore.ClassifyCheck); rows an access decision names a
// de-identification profile for pass through the stored profiles
// (datastore.DeidProfiles).
func (a *App) Datastore() *datastore.Service {
	var dd datastore.Deidentifier
	if a.Profiles != nil {
		dd = datastore.DeidProfiles(a.Profiles) // reads whose decision names a profile are served de-identified
	}
	return datastore.New(datastore.Config{DB: a.DB, Catalog: a.Catalog, Access: a.Access, Log: a.Config.Log,
		PersonalInfo: datastore.ClassifyCheck{}, Deid: dd, SQL: datastore.SQLConfig{Enabled: a.Config.DatastoreSQL}})
}
