package incident_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"dataport/internal/access/accesstest"
	"dataport/internal/identity"
	"dataport/internal/monitor/incident"
	"dataport/internal/store"
)

// world is accesstest's city with the incident service, a security
// officer, a regulator and the transport commission's named officers.
type world struct {
	*accesstest.World
	svc       *incident.Service
	security  identity.Principal
	regulator identity.Principal
	member    identity.Principal // a plain member of the transport commission
}

func newWorld(t *testing.T, db *store.DB, cfg incident.Config) *world {
	t.Helper()
	w := &world{World: accesstest.New(t, db)}
	w.svc = incident.New(db, w.IDs, w.Cat, nil, cfg)
	w.security = w.NewUser(t, "security", identity.PlatformSecurity)
	w.regulator = w.NewUser(t, "regulator", identity.PlatformRegulator)
	w.member = w.NewUser(t, "jtw.member", "", identity.Membership{OrganizationID: w.Provider.ID, Role: identity.RoleMember})
	if _, err := w.IDs.SetOfficers(context.Background(), w.ProviderAdmin, w.Provider.ID,
		identity.Officers{ResponsibleUserID: w.ProviderAdmin.UserID, ChiefDataOfficerUserID: w.ProviderEditor.UserID}); err != nil {
		t.Fatal(err)
	}
	return w
}

// leak is a leak at the transport commission discovered at discovered,
// touching two of its resources, 12,345 records of 3,210 persons.
func (w *world) leak(discovered time.Time) incident.Details {
	return incident.Details{OrgID: w.Provider.ID, Title: "地铁刷卡记录外泄", Kind: incident.KindLeak, Level: incident.LevelMajor,
		Cause: "接口鉴权配置错误，导出接口未校验授权范围。", Harm: "可能被用于推断出行规律。", Measures: "已关闭导出接口并轮换密钥。",
		Advice: "如接到自称地铁公司的可疑来电，请挂断并拨打官方热线核实。", ResourceIDs: []string{w.Conditional.ID, w.OpenPersonal.ID},
		RecordsAffected: 12345, PersonsAffected: 3210, DiscoveredAt: discovered}
}

// events returns the types and payloads of the events about subject id,
// oldest first.
func events(t *testing.T, db *store.DB, id string) ([]string, []map[string]any) {
	t.Helper()
	evs, err := db.Events(context.Background(), store.EventFilter{SubjectKind: incident.SubjectKind, SubjectID: id, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	var payloads []map[string]any
	for i := len(evs) - 1; i >= 0; i-- {
		var p map[string]any
		if err := json.Unmarshal(evs[i].Payload, &p); err != nil {
			t.Fatal(err)
		}
		types, payloads = append(types, evs[i].Type), append(payloads, p)
	}
	return types, payloads
}

func count(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
