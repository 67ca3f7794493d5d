package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/deid"
	"dataport/internal/identity"
	"dataport/internal/monitor"
	"dataport/internal/store"
)

// Security monitoring in the demo city: synthetic activity over the past
// weeks and hours, made through the real decision point (access.Decide and
// RecordRows, each decision logged and sealed) and the real sign-in
// (identity.Authenticate), that the security monitor's seven default rules
// turn into one alert each:
//
//   - bulk_download and volume_spike: 吴浩然 reads the bus routes now and
//     then for an hour, then 150 times in three minutes, 30,000 rows;
//   - off_hours: 孙立's research grant, used at about ten in the morning for
//     three weeks, is used at twenty past three at night;
//   - repeated_denials: 钱宇 asks a dozen times for the taxi drivers'
//     qualification records, which are not open;
//   - lapsed_grant: 郑可欣 reads under a grant that expired two days ago;
//   - reid_qi: 冯志远, whose grant serves the penalty decisions through a
//     5-anonymous profile, filters them by district and violation and gets 2;
//   - credential_stuffing: one address tries a dozen accounts' passwords.
//
// The rules that compare a subject with its own past (baseline, hours)
// need that past, so the decisions are made by a decision point whose clock
// the demo sets (access.Config.Now) on the same store, observed by the same
// monitor as the server's own; the people reading are the demo's own and
// read nothing else, so the server's own decisions at seeding do not mix
// into their windows.

// MonitorServices are the services SeedMonitor goes through.
type MonitorServices struct {
	DB       *store.DB
	Identity *identity.Service
	Catalog  *catalog.Service
	Access   *access.Service // the server's decision point: grants are made through it
	Rules    access.Rules    // the server's classification rules, for the demo's decision point
	Profiles *deid.Service
	Monitor  *monitor.Service
}

// monitorPeople are the demo's people whose activity raises the alerts
// (persons without an organization; they sign in with password(username)).
var monitorPeople = []struct{ username, display string }{
	{"wu.haoran", "吴浩然"}, {"sun.li", "孙立"}, {"qian.yu", "钱宇"}, {"zheng.kexin", "郑可欣"}, {"feng.zhiyuan", "冯志远"},
}

// stuffingAddress is the address the demo's credential stuffing comes from
// (TEST-NET-3, documentation only).
const stuffingAddress = "203.0.113.45"

// SeedMonitor makes the activity that raises one alert of each default
// rule, and waits for the monitor to have written them. It runs after
// SeedDeid (the penalty decisions and their rows) on the same store, and
// is skipped once the store holds any alert.
func SeedMonitor(ctx context.Context, s MonitorServices) error {
	officer, err := principalNamed(ctx, s.Identity, "security")
	if err != nil {
		return err
	}
	if done, _, err := s.Monitor.Alerts(ctx, officer, monitor.AlertFilter{Limit: 1}); err != nil || len(done) > 0 {
		return err
	}
	people := map[string]identity.Principal{}
	for _, p := range monitorPeople {
		if people[p.username], err = demoPerson(ctx, s.Identity, p.username, p.display); err != nil {
			return err
		}
	}
	w, err := newMonitorWorld(ctx, s, people)
	if err != nil {
		return err
	}
	clock := &demoClock{}
	dp := access.New(s.DB, s.Catalog, access.Config{Rules: s.Rules, Now: clock.now, UserRate: 100000, Logger: slog.New(slog.DiscardHandler)})
	dp.OnLogged(s.Monitor.OnLogged)
	now := time.Now()
	for _, run := range []func() error{
		func() error { return w.scrape(ctx, dp, clock, now) },
		func() error { return w.offHours(ctx, dp, clock, now) },
		func() error { return w.denials(ctx, dp, clock, now) },
		func() error { return w.lapsed(ctx, dp, clock, now) },
		func() error { return w.reidentify(ctx, dp, clock, now) },
	} {
		if err := run(); err != nil {
			dp.Close()
			return err
		}
	}
	dp.Close() // writes the decisions; the monitor is told of each batch
	if err := stuffCredentials(ctx, s.Identity); err != nil {
		return err
	}
	return awaitAlerts(ctx, s.Monitor, officer)
}

// monitorWorld is what the activity reads: the resources and the grants
// made for it.
type monitorWorld struct {
	people                          map[string]identity.Principal
	busRoutes, drivers, penalties   string // resource ids
	research, expired, deidentified access.Grant
	researchPurpose, penaltyPurpose string
}

func newMonitorWorld(ctx context.Context, s MonitorServices, people map[string]identity.Principal) (*monitorWorld, error) {
	w := &monitorWorld{people: people, researchPurpose: "公交线网优化研究", penaltyPurpose: "信用监管研究"}
	for title, id := range map[string]*string{"公交线路基本信息": &w.busRoutes, "出租汽车驾驶员从业资格信息": &w.drivers, PenaltyTitle: &w.penalties} {
		if *id = resourceID(ctx, s.Catalog, title); *id == "" {
			return nil, fmt.Errorf("demo: monitor: no published resource %s", title)
		}
	}
	operator, err := principalNamed(ctx, s.Identity, operatorName)
	if err != nil {
		return nil, err
	}
	profile, err := s.Profiles.Create(ctx, operator, w.penalties, deid.ProfileInput{Name: "研究用 5-匿名", Paths: []classify.Path{classify.PathSandbox},
		Profile: deid.Profile{QuasiIdentifiers: []string{"district", "violation"}, K: 5, MaxSuppression: 0.2,
			Columns: penaltyProfile().Columns}})
	if err != nil {
		return nil, fmt.Errorf("demo: monitor: the penalty decisions' 5-anonymous profile: %w", err)
	}
	start := time.Now().AddDate(0, 0, -60)
	grants := []struct {
		into  *access.Grant
		ng    access.NewGrant
		label string
	}{
		{&w.research, access.NewGrant{GranteeKind: access.GranteeUser, GranteeID: people["sun.li"].UserID, ResourceIDs: []string{w.busRoutes},
			Purpose: w.researchPurpose, ValidFrom: start}, "research"},
		{&w.expired, access.NewGrant{GranteeKind: access.GranteeUser, GranteeID: people["zheng.kexin"].UserID, ResourceIDs: []string{w.drivers},
			Purpose: "出租汽车服务质量评价", ValidFrom: start, ValidUntil: time.Now().AddDate(0, 0, -2)}, "expired"},
		{&w.deidentified, access.NewGrant{GranteeKind: access.GranteeUser, GranteeID: people["feng.zhiyuan"].UserID, ResourceIDs: []string{w.penalties},
			Purpose: w.penaltyPurpose, ValidFrom: start, Policy: access.Policy{DeidProfile: profile.ID}}, "de-identified"},
	}
	for _, g := range grants {
		if *g.into, err = s.Access.GrantDirectly(ctx, operator, g.ng); err != nil {
			return nil, fmt.Errorf("demo: monitor: the %s grant: %w", g.label, err)
		}
	}
	return w, nil
}

// demoClock is the demo decision point's clock, set before each read.
type demoClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *demoClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *demoClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// read is one read of resource by p at t through the API's rows, serving
// rows (none when the read is refused).
func read(ctx context.Context, dp *access.Service, clock *demoClock, t time.Time, req access.Request, rows int64) (access.Decision, error) {
	clock.set(t)
	if req.Action == "" {
		req.Action = access.ActionRead
	}
	if req.Channel == "" {
		req.Channel = access.ChannelAPIRows
	}
	d, err := dp.Decide(ctx, req)
	if err != nil || !d.Allow {
		return d, err
	}
	return d, dp.RecordRows(ctx, d, rows)
}

// scrape: a few small reads of the bus routes over an hour and a half,
// then 150 reads of 200 rows within three minutes (bulk_download: rows
// against the reader's own baseline; volume_spike: requests against it).
func (w *monitorWorld) scrape(ctx context.Context, dp *access.Service, clock *demoClock, now time.Time) error {
	p := w.people["wu.haoran"]
	for _, ago := range []time.Duration{95, 80, 65, 50, 35} {
		if _, err := read(ctx, dp, clock, now.Add(-ago*time.Minute), access.Request{Subject: p, ResourceID: w.busRoutes}, 40); err != nil {
			return err
		}
	}
	burst := now.Add(-20 * time.Minute).Truncate(5 * time.Minute).Add(30 * time.Second)
	for i := range 150 {
		if _, err := read(ctx, dp, clock, burst.Add(time.Duration(i)*time.Second), access.Request{Subject: p, ResourceID: w.busRoutes}, 200); err != nil {
			return err
		}
	}
	return nil
}

// offHours: the research grant used each morning for three weeks, then at
// twenty past three at night.
func (w *monitorWorld) offHours(ctx context.Context, dp *access.Service, clock *demoClock, now time.Time) error {
	p, beijing := w.people["sun.li"], time.FixedZone("CST", 8*3600)
	day := now.In(beijing)
	night := time.Date(day.Year(), day.Month(), day.Day(), 3, 20, 0, 0, beijing)
	if !night.Before(now) {
		night = night.AddDate(0, 0, -1)
	}
	req := access.Request{Subject: p, ResourceID: w.busRoutes, Purpose: w.researchPurpose}
	for d := 22; d >= 1; d-- {
		morning := time.Date(night.Year(), night.Month(), night.Day(), 9+d%3, 5*d%60, 0, 0, beijing).AddDate(0, 0, -d)
		if dec, err := read(ctx, dp, clock, morning, req, 300); err != nil || !dec.Allow {
			return refusedRead("a morning read under the research grant", dec, err)
		}
	}
	dec, err := read(ctx, dp, clock, night, req, 300)
	if err != nil || !dec.Allow {
		return refusedRead("the night read under the research grant", dec, err)
	}
	return nil
}

// denials: a dozen requests for the taxi drivers' qualification records,
// which are neither open nor shared with this reader.
func (w *monitorWorld) denials(ctx context.Context, dp *access.Service, clock *demoClock, now time.Time) error {
	p := w.people["qian.yu"]
	for i := range 12 {
		dec, err := read(ctx, dp, clock, now.Add(-42*time.Minute+time.Duration(i)*20*time.Second), access.Request{Subject: p, ResourceID: w.drivers}, 0)
		if err != nil {
			return err
		}
		if dec.Allow {
			return errors.New("demo: monitor: the taxi drivers' records were served to a reader without a grant")
		}
	}
	return nil
}

// lapsed: a read under the grant that expired two days ago.
func (w *monitorWorld) lapsed(ctx context.Context, dp *access.Service, clock *demoClock, now time.Time) error {
	dec, err := read(ctx, dp, clock, now.Add(-70*time.Minute), access.Request{Subject: w.people["zheng.kexin"], ResourceID: w.drivers,
		Purpose: "出租汽车服务质量评价"}, 0)
	if err != nil {
		return err
	}
	if dec.Allow || dec.Reason != access.ReasonExpired {
		return fmt.Errorf("demo: monitor: a read under the expired grant was answered %s", dec.Reason)
	}
	return nil
}

// reidentify: the penalty decisions, served through the 5-anonymous
// profile, filtered on both quasi-identifiers down to two rows.
func (w *monitorWorld) reidentify(ctx context.Context, dp *access.Service, clock *demoClock, now time.Time) error {
	req := access.Request{Subject: w.people["feng.zhiyuan"], ResourceID: w.penalties, Purpose: w.penaltyPurpose,
		FilterFields: []string{"district", "violation"}}
	dec, err := read(ctx, dp, clock, now.Add(-25*time.Minute), req, 2)
	if err != nil || !dec.Allow || dec.Constraints.DeidProfile == "" {
		return refusedRead("the filtered read of the penalty decisions", dec, err)
	}
	return nil
}

// stuffCredentials tries leaked passwords for a dozen accounts, some of
// them real, from one address, through the real sign-in.
func stuffCredentials(ctx context.Context, ids *identity.Service) error {
	names := []string{"admin", "operator", "citizen", "researcher", "company", "zhangwei", "liuyang", "wangfang", "li.na", "chenjie", "yangli", "zhaolei"}
	for _, name := range names {
		_, err := ids.Authenticate(ctx, name, "Password123!", stuffingAddress)
		if err == nil {
			return fmt.Errorf("demo: monitor: %s signed in with a guessed password", name)
		}
		if !errors.Is(err, identity.ErrBadCredentials) {
			return fmt.Errorf("demo: monitor: a guessed sign-in as %s: %w", name, err)
		}
	}
	return nil
}

// awaitAlerts waits until the monitor has evaluated everything and checks
// that each default rule raised its alert.
func awaitAlerts(ctx context.Context, m *monitor.Service, officer identity.Principal) error {
	if err := m.Flush(ctx); err != nil {
		return err
	}
	alerts, _, err := m.Alerts(ctx, officer, monitor.AlertFilter{Limit: 200})
	if err != nil {
		return err
	}
	var missing []string
	for _, code := range []string{monitor.RuleBulkDownload, monitor.RuleOffHours, monitor.RuleVolumeSpike, monitor.RuleRepeatedDenials,
		monitor.RuleCredentialStuffing, monitor.RuleLapsedGrant, monitor.RuleReidQI} {
		if !slices.ContainsFunc(alerts, func(a monitor.Alert) bool { return a.Rule == code }) {
			missing = append(missing, code)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("demo: monitor: no alert of %s", strings.Join(missing, ", "))
	}
	return nil
}

// refusedRead says that a read the demo needs allowed was not.
func refusedRead(what string, d access.Decision, err error) error {
	if err != nil {
		return fmt.Errorf("demo: monitor: %s: %w", what, err)
	}
	return fmt.Errorf("demo: monitor: %s was answered %s (%s)", what, d.Reason, d.Message)
}

// principalNamed is the demo user username as a principal.
func principalNamed(ctx context.Context, ids *identity.Service, username string) (identity.Principal, error) {
	u, err := ids.UserByName(ctx, username)
	if err != nil {
		return identity.Principal{}, fmt.Errorf("demo: %s: %w", username, err)
	}
	return ids.Principal(ctx, u.ID)
}

// demoPerson is the person username, created when missing.
func demoPerson(ctx context.Context, ids *identity.Service, username, display string) (identity.Principal, error) {
	if p, err := principalNamed(ctx, ids, username); err == nil {
		return p, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return p, err
	}
	u, err := ids.CreateUser(ctx, identity.System, identity.UserInput{Username: username, DisplayName: display, Password: password(username)})
	if err != nil {
		return identity.Principal{}, fmt.Errorf("demo: %s: %w", username, err)
	}
	return ids.Principal(ctx, u.ID)
}
