package demo

import (
	"context"
	"fmt"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/monitor"
	"dataport/internal/monitor/incident"
)

// IncidentServices are the services SeedIncidents goes through.
type IncidentServices struct {
	Identity  *identity.Service
	Catalog   *catalog.Service
	Monitor   *monitor.Service
	Incidents *incident.Service
}

// SeedIncidents names each institution's responsible person for data
// security (its admin) and, for the transport commission and the market
// regulator, a chief data officer (its editor); then it turns the demo's
// re-identification alert (SeedMonitor's reid_qi) into an incident in
// progress at the unit holding the penalty decisions: a major incident
// discovered 3 h 58 min before seeding, so that its report — issued at
// once — is due two minutes later (passed and met soon after the server
// starts) while the notice to the two persons affected is pending (48 h);
// one response task done, one open. Without that alert the incident is
// opened directly. It is skipped once any incident exists.
func SeedIncidents(ctx context.Context, s IncidentServices) error {
	officer, err := principalNamed(ctx, s.Identity, "security")
	if err != nil {
		return err
	}
	if done, _, err := s.Incidents.Incidents(ctx, officer, incident.Filter{Limit: 1}); err != nil || len(done) > 0 {
		return err
	}
	if err := seedOfficers(ctx, s.Identity); err != nil {
		return err
	}
	penalties := resourceID(ctx, s.Catalog, PenaltyTitle)
	if penalties == "" {
		return fmt.Errorf("demo: incidents: no published resource %s", PenaltyTitle)
	}
	res, err := s.Catalog.Get(ctx, identity.System, penalties)
	if err != nil {
		return err
	}
	in := incident.Details{OrgID: res.OrganizationID, Title: "去标识化行政处罚数据被按准标识符精确筛选", Kind: incident.KindUnauthorized,
		Level: incident.LevelMajor, ResourceIDs: []string{penalties}, RecordsAffected: 2, PersonsAffected: 2,
		DiscoveredAt: time.Now().Add(-3*time.Hour - 58*time.Minute),
		Cause:        "研究用户在去标识化数据上按区和违法行为两个准标识符组合筛选，返回结果少于 5 条，存在重新识别个人的风险。",
		Harm:         "被识别的个人的行政处罚信息可能与其身份关联。",
		Measures:     "已暂停该用户的数据授权，复核去标识化方案，对返回结果少于 k 值的查询一律拒绝。",
		Advice:       "如发现您的行政处罚信息被他人用于骚扰或诈骗，请与本单位联系。"}
	inc, err := openDemoIncident(ctx, s, officer, in)
	if err != nil {
		return err
	}
	return workDemoIncident(ctx, s, officer, inc)
}

// seedOfficers names the institutions' officers.
func seedOfficers(ctx context.Context, ids *identity.Service) error {
	cdo := map[string]bool{"JTW": true, "SCJG": true}
	for _, o := range institutions {
		org, err := orgID(ctx, ids, o.code)
		if err != nil {
			return err
		}
		admin, err := principalNamed(ctx, ids, adminName(o.code))
		if err != nil {
			return err
		}
		in := identity.Officers{ResponsibleUserID: admin.UserID}
		if cdo[o.code] {
			editor, err := principalNamed(ctx, ids, editorName(o.code))
			if err != nil {
				return err
			}
			in.ChiefDataOfficerUserID = editor.UserID
		}
		if _, err := ids.SetOfficers(ctx, identity.System, org, in); err != nil {
			return fmt.Errorf("demo: officers of %s: %w", o.code, err)
		}
	}
	return nil
}

// openDemoIncident opens in from the demo's re-identification alert when
// it is open, else directly.
func openDemoIncident(ctx context.Context, s IncidentServices, officer identity.Principal, in incident.Details) (incident.Incident, error) {
	alerts, _, err := s.Monitor.Alerts(ctx, officer, monitor.AlertFilter{Rule: "reid_qi", Limit: 10})
	if err != nil {
		return incident.Incident{}, err
	}
	for _, a := range alerts {
		if a.State.Open() {
			return s.Incidents.OpenFromAlert(ctx, officer, a.ID, in)
		}
	}
	return s.Incidents.Open(ctx, officer, in)
}

// workDemoIncident gives the incident its tasks, one done, and issues the
// report.
func workDemoIncident(ctx context.Context, s IncidentServices, officer identity.Principal, inc incident.Incident) error {
	org, err := s.Identity.Organization(ctx, inc.OrgID)
	if err != nil {
		return err
	}
	editor, err := principalNamed(ctx, s.Identity, editorName(org.Code))
	if err != nil {
		return err
	}
	for _, t := range []incident.ResponseTaskInput{
		{Title: "暂停该研究用户的数据授权", OwnerUserID: officer.UserID, DueAt: time.Now().Add(time.Hour)},
		{Title: "复核行政处罚数据的去标识化方案（k 值与准标识符）", OwnerUserID: editor.UserID, DueAt: time.Now().Add(72 * time.Hour)},
	} {
		if inc, err = s.Incidents.AddTask(ctx, officer, inc.ID, t); err != nil {
			return fmt.Errorf("demo: incident task: %w", err)
		}
	}
	if _, err := s.Incidents.CompleteTask(ctx, officer, inc.ID, inc.Tasks[0].ID); err != nil {
		return err
	}
	_, _, err = s.Incidents.Issue(ctx, officer, inc.ID, incident.DocReport)
	return err
}
