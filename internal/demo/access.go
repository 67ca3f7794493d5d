package demo

import (
	"context"
	"fmt"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/opening"
	"dataport/internal/review"
	"dataport/internal/sharing"
)

// AccessServices are the workflows SeedAccess goes through.
type AccessServices struct {
	Identity *identity.Service
	Catalog  *catalog.Service
	Sharing  *sharing.Service
	Opening  *opening.Service
}

// SeedAccess gives the demo city's sharing and opening some history, through
// the real workflows: the environment bureau holds one granted share and
// waits on another, a researcher holds a granted open application (with its
// agreement) while a citizen's waits for review, and the transport
// commission has published its open list for this year. It runs after Seed
// on the same store.
func SeedAccess(ctx context.Context, s AccessServices) error {
	people := map[string]identity.Principal{}
	for _, name := range []string{"sthj.editor", "jtw.admin", operatorName, "researcher", "citizen", "jtw.editor"} {
		u, err := s.Identity.UserByName(ctx, name)
		if err != nil {
			return fmt.Errorf("demo: %s: %w", name, err)
		}
		if people[name], err = s.Identity.Principal(ctx, u.ID); err != nil {
			return err
		}
	}
	if err := seedShares(ctx, s, people); err != nil {
		return err
	}
	if err := seedApplications(ctx, s, people); err != nil {
		return err
	}
	for _, o := range institutions {
		var editor, admin identity.Principal
		for _, p := range []*identity.Principal{&editor, &admin} {
			name := editorName(o.code)
			if p == &admin {
				name = adminName(o.code)
			}
			u, err := s.Identity.UserByName(ctx, name)
			if err != nil {
				return fmt.Errorf("demo: %s: %w", name, err)
			}
			if *p, err = s.Identity.Principal(ctx, u.ID); err != nil {
				return err
			}
		}
		if err := seedOpenList(ctx, s, o.code, editor, admin); err != nil {
			return err
		}
	}
	return nil
}

// openPlans are each institution's annual open list: the plan, and one
// data set it means to open that is not cataloged yet.
var openPlans = map[string]struct{ plan, next string }{
	"JTW":   {"本年度计划新增开放交通出行类数据，重点推进公交、轨道交通和出租汽车服务数据的开放。", "网约车平台订单汇总数据"},
	"WJW":   {"本年度重点开放医疗服务资源和公共卫生统计数据，便利群众就医和科研机构开展健康研究。", "医疗机构预约挂号号源数据"},
	"SCJG":  {"本年度推进市场主体登记、许可和信用监管数据开放，服务营商环境优化和社会信用体系建设。", "双随机抽查结果信息"},
	"STHJ":  {"本年度扩大生态环境监测数据开放范围，按小时发布空气质量和水质自动监测数据。", "机动车排放检测汇总数据"},
	"JW":    {"本年度开放学校和幼儿园基本信息及学生体质健康统计数据，便利家长择校和教育研究。", "义务教育学校招生计划"},
	"MZJ":   {"本年度重点开放养老服务机构、婚姻登记服务网点和社会救助统计数据。", "殡葬服务机构名录"},
	"GHZRW": {"本年度开放土地供应、规划许可和标准地名地址数据，支撑城市规划和位置服务应用。", "城市公园绿地分布数据"},
	"WHLYJ": {"本年度开放旅游景区、星级饭店和旅行社名录数据，支持文旅消费和智慧旅游应用。", "公共图书馆和文化馆名录"},
	"RSJ":   {"本年度开放社会保险统计、人力资源服务机构和职业技能培训数据，服务就业创业。", "职业技能等级认定机构名录"},
	"ZJW":   {"本年度开放商品房预售许可、建筑业企业资质和物业服务企业数据，促进房地产市场透明。", "既有建筑节能改造项目信息"},
	"TJJ":   {"本年度按月发布国民经济主要指标、价格指数和工业统计数据，并开放人口抽样调查汇总数据。", "季度地区生产总值分行业数据"},
	"GAJ":   {"本年度开放驾驶人考场、户籍业务网点和交通事故统计数据，便利群众办事和交通安全研究。", "交通违法高发路段信息"},
}

// publishedFor returns the published resources matching f, outside orgID.
func publishedFor(ctx context.Context, cat *catalog.Service, f catalog.Filter, notOrg string) ([]catalog.Resource, error) {
	f.Status, f.Limit = catalog.StatusPublished, 200
	page, err := cat.List(ctx, identity.System, f)
	if err != nil {
		return nil, err
	}
	var out []catalog.Resource
	for _, r := range page.Items {
		if r.OrganizationID != notOrg {
			out = append(out, r)
		}
	}
	return out, nil
}

func seedShares(ctx context.Context, s AccessServices, people map[string]identity.Principal) error {
	requester := people["sthj.editor"]
	org := requester.Memberships[0].OrganizationID
	open, err := publishedFor(ctx, s.Catalog, catalog.Filter{ShareType: catalog.ShareUnconditional, OpenType: catalog.OpenConditional}, org)
	if err != nil || len(open) == 0 {
		return fmt.Errorf("demo: no unconditionally shared resource: %v", err)
	}
	if _, err := s.Sharing.Create(ctx, requester, sharing.RequestInput{ResourceID: open[0].ID, RequesterOrgID: org,
		Purpose: "大气污染与交通流量关联分析", LegalBasis: "《京华市大气污染防治条例》第十五条", DurationDays: 365}); err != nil {
		return fmt.Errorf("demo: share request: %w", err)
	}
	cond, err := publishedFor(ctx, s.Catalog, catalog.Filter{ShareType: catalog.ShareConditional, Classification: catalog.ClassGeneral}, org)
	if err != nil || len(cond) == 0 {
		return fmt.Errorf("demo: no conditionally shared resource: %v", err)
	}
	_, err = s.Sharing.Create(ctx, requester, sharing.RequestInput{ResourceID: cond[len(cond)-1].ID, RequesterOrgID: org,
		Purpose: "环境执法线索核查", LegalBasis: "《中华人民共和国环境保护法》第二十四条", DurationDays: 90})
	return err
}

func seedApplications(ctx context.Context, s AccessServices, people map[string]identity.Principal) error {
	list, err := publishedFor(ctx, s.Catalog, catalog.Filter{OpenType: catalog.OpenConditional}, "")
	if err != nil || len(list) == 0 {
		return fmt.Errorf("demo: no conditionally open resource: %v", err)
	}
	res := list[len(list)-1]
	researcher := people["researcher"]
	a, err := s.Opening.Apply(ctx, researcher, opening.ApplicationInput{ResourceID: res.ID, ApplicantOrgID: researcher.Memberships[0].OrganizationID,
		Purpose: "城市出行行为学术研究", Scenario: "高校课题组离线统计分析，成果以汇总形式发表",
		SecurityMeasures: "数据存放于校内隔离服务器，仅课题组成员凭账号访问，研究结束后删除", DurationDays: 180})
	if err != nil {
		return fmt.Errorf("demo: application: %w", err)
	}
	provider, err := s.Identity.Members(ctx, res.OrganizationID)
	if err != nil {
		return err
	}
	for _, u := range provider {
		for _, m := range u.Memberships {
			if m.OrganizationID == res.OrganizationID && m.Role == identity.RoleAdmin {
				p, err := s.Identity.Principal(ctx, u.ID)
				if err != nil {
					return err
				}
				if _, err := s.Opening.Decide(ctx, p, a.ID, review.Approve, "用途明确，安全措施可行"); err != nil {
					return fmt.Errorf("demo: provider review: %w", err)
				}
				if _, err := s.Opening.Decide(ctx, people[operatorName], a.ID, review.Approve, "同意开放"); err != nil {
					return fmt.Errorf("demo: operator review: %w", err)
				}
				citizen := people["citizen"]
				_, err = s.Opening.Apply(ctx, citizen, opening.ApplicationInput{ResourceID: res.ID, ApplicantOrgID: citizen.Memberships[0].OrganizationID,
					Purpose: "个人出行规划", Scenario: "个人手机应用查询", SecurityMeasures: "仅本人设备使用，不对外提供", DurationDays: 30})
				return err
			}
		}
	}
	return fmt.Errorf("demo: no admin for the provider of %s", res.Code)
}

// seedOpenList publishes the institution's open list for this year: its
// plan, a data set not cataloged yet (the transport commission's is
// overdue), and up to three of its open resources.
func seedOpenList(ctx context.Context, s AccessServices, code string, editor, admin identity.Principal) error {
	orgID := editor.Memberships[0].OrganizationID
	year := thisYear()
	plan, ok := openPlans[code]
	if !ok {
		return fmt.Errorf("demo: no open plan for %s", code)
	}
	l, err := s.Opening.SaveList(ctx, editor, orgID, year, plan.plan)
	if err != nil {
		return fmt.Errorf("demo: open list: %w", err)
	}
	mine, err := s.Catalog.List(ctx, editor, catalog.Filter{OrganizationID: orgID, Status: catalog.StatusPublished, Limit: 200})
	if err != nil {
		return err
	}
	items := []opening.ItemInput{{TitleZh: plan.next, OpenType: catalog.OpenUnconditional, PlannedDate: fmt.Sprintf("%d-12-31", year)}}
	if code == "JTW" {
		items = []opening.ItemInput{
			{TitleZh: plan.next, OpenType: catalog.OpenConditional, PlannedDate: fmt.Sprintf("%d-01-31", year), Note: "待平台企业数据接入"},
			{TitleZh: "停车场实时泊位数据", OpenType: catalog.OpenUnconditional, PlannedDate: fmt.Sprintf("%d-12-31", year)},
		}
	}
	for _, r := range mine.Items {
		if r.OpenType != catalog.OpenNone && len(items) < 4 {
			items = append(items, opening.ItemInput{ResourceID: r.ID, OpenType: r.OpenType, PlannedDate: fmt.Sprintf("%d-06-30", year)})
		}
	}
	for _, in := range items {
		if _, err := s.Opening.AddItem(ctx, editor, l.ID, in); err != nil {
			return fmt.Errorf("demo: open list item %s: %w", in.TitleZh, err)
		}
	}
	_, err = s.Opening.Publish(ctx, admin, l.ID)
	return err
}

func thisYear() int { return time.Now().In(time.FixedZone("CST", 8*3600)).Year() }
