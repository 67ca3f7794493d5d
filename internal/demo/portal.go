package demo

import (
	"context"
	"fmt"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/portal"
	"dataport/internal/review"
)

// PortalServices are what SeedPortal writes through.
type PortalServices struct {
	Identity *identity.Service
	Catalog  *catalog.Service
	Portal   *portal.Service
}

// demoNews are the platform's news and notices, oldest first.
var demoNews = []portal.NewsInput{
	{Kind: portal.KindNews, Title: "京华市公共数据开放平台正式上线运行",
		Body: "经过半年试运行，京华市公共数据开放平台今日正式上线。首批 12 个市级部门的数据资源已按统一目录规范编目并开放，涵盖交通出行、生态环境、医疗卫生、教育、市场监管等主题。\n\n" +
			"平台提供数据检索、预览、下载和接口服务。无条件开放的数据无需申请即可使用；有条件开放的数据可在线提交申请，由数据提供单位和市大数据中心在规定时限内审核。"},
	{Kind: portal.KindNotice, Title: "关于征集 2026 年度公共数据开放需求的通知",
		Body: "为更好满足社会各界对公共数据的需求，市大数据中心现面向企业、科研机构和市民征集 2026 年度公共数据开放需求。\n\n" +
			"请登录平台，在“数据需求”栏目提交所需数据的名称、内容和用途。我们将会同有关部门逐条研究答复，并纳入年度开放清单编制。征集截止时间为 2026 年 12 月 31 日。"},
	{Kind: portal.KindNews, Title: "首届京华公共数据创新应用大赛启动报名",
		Body: "由市经济和信息化局、市大数据中心联合主办的首届京华公共数据创新应用大赛现已启动报名。大赛设交通出行、生态环境、民生服务三个赛道。\n\n" +
			"参赛作品须基于平台开放数据开发，获奖作品将在“应用成果”栏目展示。"},
	{Kind: portal.KindNotice, Title: "平台系统维护公告",
		Body: "为提升服务稳定性，平台将于本周六 22:00 至次日 02:00 进行系统维护。维护期间数据下载和接口服务可能短暂中断，请提前做好安排。"},
}

// demoRequest is a data request and how far it has come.
type demoRequest struct {
	by, org        string // requester's username; the institution named ("" none)
	in             portal.DataRequestInput
	answer         *portal.DataRequestAnswer // answered by the institution's editor
	answerResource string                    // the title of the resource opened, for an "opened" answer
}

var demoRequests = []demoRequest{
	{by: "company", org: "JTW", in: portal.DataRequestInput{Title: "公交车辆实时位置数据",
		Description: "全市公交车辆的实时 GPS 位置，含线路编号、车辆编号、经纬度和时间戳，更新频率不低于 30 秒一次。",
		Purpose:     "用于导航软件中的公交实时到站预测和换乘规划。"},
		answer: &portal.DataRequestAnswer{Outcome: portal.OutcomeOpened,
			Answer: "公交站点实时到站信息已无条件开放，可通过数据接口按分钟获取，车辆实时位置涉及运营安全，暂以到站信息形式提供。"},
		answerResource: "公交站点实时到站信息"},
	{by: "researcher", org: "STHJ", in: portal.DataRequestInput{Title: "历年空气质量站点日均值数据",
		Description: "2015 年以来全市各国控、市控监测站点的 PM2.5、PM10、O3、NO2 日均浓度。",
		Purpose:     "开展大气污染与居民呼吸系统疾病关系的学术研究。"},
		answer: &portal.DataRequestAnswer{Outcome: portal.OutcomePlanned,
			Answer: "历史日均值数据正在整理校核，已列入本局 2026 年度开放清单，预计第二季度开放。"}},
	{by: "citizen", org: "JW", in: portal.DataRequestInput{Title: "义务教育阶段学校学区划分信息",
		Description: "各区小学、初中的学区范围（街道、小区）和招生计划人数。",
		Purpose:     "方便家长了解入学政策。"}},
	{by: "citizen", in: portal.DataRequestInput{Title: "公共充电桩位置和空闲状态",
		Description: "全市公共充电站的位置、充电桩数量、快慢充类型和实时空闲状态。",
		Purpose:     "开发新能源汽车充电导航小程序。"}},
}

// demoApp is an app and whether the operators approved it.
type demoApp struct {
	by       string
	in       portal.AppInput
	titles   []string // the resources it uses, by title
	approved bool
}

var demoApps = []demoApp{
	{by: "company", approved: true, titles: []string{"公交站点实时到站信息", "公交线路基本信息"}, in: portal.AppInput{Name: "智图出行",
		Description: "面向京华市民的公交出行助手：实时到站、换乘规划和拥挤度提示，日均服务用户约 12 万人次。", URL: "https://chuxing.zhitu.example.cn"}},
	{by: "researcher", approved: true, titles: []string{"空气质量小时监测数据"}, in: portal.AppInput{Name: "京华空气地图",
		Description: "按监测站点展示空气质量指数和主要污染物的逐小时变化，提供健康出行建议。", URL: "https://air.jinghua-research.example.org"}},
	{by: "citizen", approved: true, titles: []string{"医疗机构名录"}, in: portal.AppInput{Name: "社区就医指南",
		Description: "查询附近医疗机构的等级、科室和地址，帮助居民就近就医。", URL: "https://jiuyi.example.cn"}},
	{by: "company", titles: []string{"轨道交通车站客流统计"}, in: portal.AppInput{Name: "地铁客流热力图",
		Description: "按车站和时段展示轨道交通客流，辅助错峰出行。", URL: "https://metro.zhitu.example.cn"}},
}

// SeedPortal writes the demo city's news, data requests and apps through
// the portal service, as the demo's users. Resources it names that the
// catalog does not hold are left out.
func SeedPortal(ctx context.Context, s PortalServices) error {
	people := map[string]identity.Principal{}
	person := func(name string) (identity.Principal, error) {
		if p, ok := people[name]; ok {
			return p, nil
		}
		u, err := s.Identity.UserByName(ctx, name)
		if err != nil {
			return identity.Principal{}, fmt.Errorf("demo: %s: %w", name, err)
		}
		p, err := s.Identity.Principal(ctx, u.ID)
		people[name] = p
		return p, err
	}
	operator, err := person(operatorName)
	if err != nil {
		return err
	}
	for _, n := range demoNews {
		if _, err := s.Portal.PublishNews(ctx, operator, n); err != nil {
			return fmt.Errorf("demo: news %q: %w", n.Title, err)
		}
	}
	if err := seedRequests(ctx, s, person); err != nil {
		return err
	}
	return seedApps(ctx, s, person, operator)
}

func seedRequests(ctx context.Context, s PortalServices, person func(string) (identity.Principal, error)) error {
	for _, d := range demoRequests {
		p, err := person(d.by)
		if err != nil {
			return err
		}
		in := d.in
		if d.org != "" {
			if in.OrganizationID, err = orgID(ctx, s.Identity, d.org); err != nil {
				return err
			}
		}
		r, err := s.Portal.SubmitRequest(ctx, p, in)
		if err != nil {
			return fmt.Errorf("demo: data request %q: %w", in.Title, err)
		}
		if d.answer == nil {
			continue
		}
		answer := *d.answer
		if d.answerResource != "" {
			if answer.ResourceID = resourceID(ctx, s.Catalog, d.answerResource); answer.ResourceID == "" {
				answer.Outcome = portal.OutcomePlanned
			}
		}
		editor, err := person(editorName(d.org))
		if err != nil {
			return err
		}
		if _, err := s.Portal.AnswerRequest(ctx, editor, r.ID, answer); err != nil {
			return fmt.Errorf("demo: answer to %q: %w", in.Title, err)
		}
	}
	return nil
}

func seedApps(ctx context.Context, s PortalServices, person func(string) (identity.Principal, error), operator identity.Principal) error {
	for _, d := range demoApps {
		p, err := person(d.by)
		if err != nil {
			return err
		}
		in := d.in
		for _, title := range d.titles {
			if id := resourceID(ctx, s.Catalog, title); id != "" {
				in.ResourceIDs = append(in.ResourceIDs, id)
			}
		}
		if len(in.ResourceIDs) == 0 {
			continue
		}
		a, err := s.Portal.SubmitApp(ctx, p, in)
		if err != nil {
			return fmt.Errorf("demo: app %q: %w", in.Name, err)
		}
		if d.approved {
			if _, err := s.Portal.Apps.Decide(ctx, operator, a.ID, review.Approve, "应用使用平台开放数据，内容合规，同意展示。"); err != nil {
				return fmt.Errorf("demo: approving app %q: %w", in.Name, err)
			}
		}
	}
	return nil
}

// orgID returns the id of the organization with code.
func orgID(ctx context.Context, ids *identity.Service, code string) (string, error) {
	orgs, err := ids.Organizations(ctx, identity.OrgFilter{Q: code})
	if err != nil {
		return "", err
	}
	for _, o := range orgs {
		if o.Code == code {
			return o.ID, nil
		}
	}
	return "", fmt.Errorf("demo: no organization %s", code)
}

// resourceID returns the id of the published resource titled title ("" none).
func resourceID(ctx context.Context, cat *catalog.Service, title string) string {
	page, err := cat.List(ctx, identity.Anonymous, catalog.Filter{Q: title, Status: catalog.StatusPublished, Limit: 20})
	if err != nil {
		return ""
	}
	for _, r := range page.Items {
		if r.TitleZh == title {
			return r.ID
		}
	}
	return ""
}
