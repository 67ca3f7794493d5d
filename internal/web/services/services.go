// Package services is the one set of application services the web
// surfaces — the native API, the CKAN API, DCAT and the browser UI — are
// built on. internal/app fills it in once; each surface's Config adds only
// its own settings.
package services

import (
	"log/slog"

	"dataport/internal/access"
	"dataport/internal/assess"
	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/datastore"
	"dataport/internal/deid"
	"dataport/internal/engage"
	"dataport/internal/exchange"
	"dataport/internal/exchange/asset"
	"dataport/internal/exchange/dispute"
	"dataport/internal/exchange/risk"
	"dataport/internal/exchange/trade"
	"dataport/internal/harvest"
	"dataport/internal/identity"
	"dataport/internal/jobs"
	"dataport/internal/ledger"
	"dataport/internal/monitor"
	"dataport/internal/monitor/incident"
	"dataport/internal/notify"
	"dataport/internal/opening"
	"dataport/internal/portal"
	"dataport/internal/review"
	"dataport/internal/search"
	"dataport/internal/sharing"
	"dataport/internal/signup"
	"dataport/internal/stats"
	"dataport/internal/zones"
)

// Services are the application services behind the HTTP surface. Identity
// and Catalog are required; a surface leaves out the routes whose service
// is nil, as each field says.
type Services struct {
	Identity *identity.Service
	Catalog  *catalog.Service
	Log      *slog.Logger // nil discards

	// Search is the portal's search index: the CKAN API and DCAT need it
	// (they are left out without it); the UI lists the catalog from the
	// database without it. Indexer, when set, is synced after every CKAN
	// write, so that a client's next package_search sees what it just wrote.
	Search  *search.Index
	Indexer *search.Indexer

	// Access, Sharing, Opening and Notify serve grants, share requests, open
	// applications and open lists, and notifications.
	Access  *access.Service
	Sharing *sharing.Service
	Opening *opening.Service
	Notify  *notify.Service
	// Review is every kind of review case: what waits for a person.
	Review *review.Service

	// Datastore loads and serves resource rows (rows API, datastore_search,
	// the UI's data pages).
	Datastore *datastore.Service
	// Ledger serves event histories, receipts and the audit pages.
	Ledger *ledger.Service
	// Grades and Profiles serve grading and de-identification profiles.
	Grades   *classify.Service
	Profiles *deid.Service

	// Jobs runs the loads of files uploaded through the browser in the
	// background and lists failed jobs to sysadmins; nil leaves both out.
	Jobs *jobs.Runner
	// Harvest serves the harvest sources (the API's and the UI's harvest
	// pages); nil leaves them out.
	Harvest *harvest.Sources
	// Portal serves data requests, apps built on the data, news and the
	// front page's figures; nil leaves those pages and routes out.
	Portal *portal.Service
	// Assess serves the data security risk assessments (GB/T 20984);
	// nil leaves their routes and pages out.
	Assess *assess.Service
	// Stats serves the statistics: indicators of a period, daily
	// snapshots, exports; nil leaves them out.
	Stats *stats.Service
	// Engage serves the dataset page's counts, ratings, comments, error
	// reports and follows; nil leaves them out.
	Engage *engage.Service
	// Trade runs the exchange's negotiations, contracts, transfers,
	// settlements and ratings; nil leaves their routes out.
	Trade *trade.Service
	// Disputes serves contracts' evidence bundles and the disputes over
	// contracts (mediation, arbitration); nil leaves their routes out.
	Disputes *dispute.Service
	// Signup serves self-registration, e-mail confirmation, password
	// resets by e-mail, company verification and single sign-on; nil
	// leaves them out.
	Signup *signup.Service
	// Assets serves the exchange's asset registrations, objections,
	// certificates (with their QR codes) and valuation reports; nil leaves
	// them out.
	Assets *asset.Service
	// Risk serves the exchange's risk alerts and the rules that raise
	// them; nil leaves their routes out.
	Risk *risk.Engine
	// Exchange serves the data exchange's participants, products, listing
	// reviews and samples; nil leaves them out.
	Exchange *exchange.Service
	// Zones serves the public data zones: zones and their member
	// resources, operators' applications and authorisations, sandbox
	// queries, usage and kept outputs; nil leaves them out.
	Zones *zones.Service
	// Monitor serves the security monitoring's alerts and rules; nil
	// leaves them out.
	Monitor *monitor.Service
	// Incidents serves the data security incidents and their documents;
	// nil leaves them out.
	Incidents *incident.Service
}
