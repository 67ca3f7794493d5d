package app

import (
	"context"
	"path/filepath"
	"sync"
	"time"

	"dataport/internal/harvest"
	"dataport/internal/jobs"
	"dataport/internal/notify"
	"dataport/internal/web/ui/i18n"
)

// openJobs opens the background job runner on the store (applying River's
// migrations next to the store's) with the platform's periodic work.
func (a *App) openJobs(ctx context.Context) (*jobs.Runner, error) {
	node := a.Config.Node
	if node == "" {
		var err error
		if node, err = jobs.NodeID(a.Config.DataDir); err != nil {
			return nil, err
		}
	}
	harvests := &jobs.Harvests{Harvester: &harvest.Harvester{DB: a.DB, Catalog: a.Catalog, Identity: a.Identity, Log: a.Config.Log}}
	periodic := []jobs.Periodic{
		{Name: "review.deadlines", Every: time.Minute, Run: a.escalate},
		{Name: "datastore.monitor", Every: time.Hour, Run: a.monitorData},
		{Name: "harvest.schedule", Every: time.Minute, Run: a.queueHarvests},
		{Name: "engage.followers", Every: 30 * time.Second, Run: a.notifyFollowers},
		{Name: "dsp.callbacks", Every: 10 * time.Second, Run: a.deliverCallbacks},
		{Name: "exchange.registrations", Every: time.Minute, Run: a.registrationsTakeEffect},
		{Name: "assess.schedule", Every: time.Minute, Run: a.assessmentsTick},
		{Name: "incident.reminders", Every: time.Minute, Run: a.remindIncidents},
		{Name: "stats.snapshots", Every: time.Hour, Run: a.takeSnapshots},
		{Name: "stats.served", Every: 10 * time.Second, Run: a.countServed},
	}
	if a.Config.SMTP.Host != "" {
		m := notify.NewMailer(a.DB, notify.MailerConfig{SMTP: a.Config.SMTP, PublicURL: a.Config.PublicURL, Words: a.mailWords, Log: a.Config.Log})
		periodic = append(periodic, jobs.Periodic{Name: "notify.mail", Every: 30 * time.Second, Run: func(ctx context.Context, now time.Time) error {
			_, err := m.Deliver(ctx, now)
			return err
		}})
	}
	r, err := jobs.Open(ctx, a.DB, jobs.Config{Node: node, Shared: a.Config.Node != "", DatabaseURL: a.Config.DatabaseURL,
		SpoolDir: filepath.Join(a.Config.DataDir, "spool"), Datastore: a.Datastore(), Identity: a.Identity, Log: a.Config.Log,
		Harvest: harvests, Periodic: periodic, Zones: zoneQueries{a}})
	if err != nil {
		return nil, err
	}
	a.Harvest = harvest.NewSources(a.DB, a.Identity, r.QueueHarvest)
	harvests.Sources = a.Harvest
	return r, nil
}

// queueHarvests queues the scheduled harvests that are due: periodic work,
// every minute.
func (a *App) queueHarvests(ctx context.Context, now time.Time) error {
	_, err := a.Harvest.QueueDue(ctx, now)
	return err
}

// notifyFollowers tells the followers of datasets of new data versions and
// revisions recorded since the last run: periodic work, every 30 seconds.
func (a *App) notifyFollowers(ctx context.Context, now time.Time) error {
	_, err := a.Engage.NotifyFollowers(ctx, now)
	return err
}

// registrationsTakeEffect puts into effect the asset registrations whose
// objection period has ended with no objection open: periodic work, every
// minute.
func (a *App) registrationsTakeEffect(ctx context.Context, now time.Time) error {
	_, err := a.Assets.Tick(ctx, now)
	return err
}

// monitorData fails the loads whose process died and flags the resources
// whose data is late under their update frequency: periodic work, hourly.
func (a *App) monitorData(ctx context.Context, now time.Time) error {
	ds := a.Datastore()
	ds.Reap(ctx)
	_, err := ds.CheckTimeliness(ctx, now)
	return err
}

// jobsStopper returns the runner's stop for Serve: running jobs get
// shutdownGrace to finish, as requests in flight do, then the rest of
// shutdownTimeout to return. Later calls wait for the first.
func (a *App) jobsStopper() func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			if err := a.Jobs.Stop(shutdownGrace, shutdownTimeout-shutdownGrace); err != nil {
				a.Config.Log.Error("background jobs did not stop cleanly", "err", err)
			}
		})
	}
}

// noticeWords words a notice as an e-mail in the UI's words for it,
// Chinese first with the English below.
func noticeWords(kind, link string) notify.Letter {
	zh, en, ok := i18n.Lookup("notify." + kind)
	if !ok {
		zh, en = kind, kind
	}
	leadZh, leadEn, ok := i18n.Lookup("mail.lead." + kind)
	if !ok {
		leadZh, leadEn = "请登录查看：", "See:"
	}
	return notify.Letter{Subject: "【公共数据平台】" + zh + " / " + en,
		Body: zh + "\n" + leadZh + link + "\n\n" + en + "\n" + leadEn + " " + link + "\n"}
}

// mailWords is noticeWords with the one-time code put into the link of a
// confirmation or reset notice (the notice itself names only its id).
func (a *App) mailWords(kind, link string) notify.Letter {
	full, err := a.Identity.MailLink(context.Background(), link)
	if err != nil {
		a.Config.Log.Error("mail: the link's code", "kind", kind, "err", err)
		full = link
	}
	return noticeWords(kind, full)
}
