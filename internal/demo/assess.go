package demo

import (
	"context"
	"fmt"
	"time"

	"dataport/internal/assess"
	"dataport/internal/catalog"
	"dataport/internal/identity"
)

// Security risk assessments in the demo city (art. 46, GB/T 20984). Every
// institution's editor has assessed each of its resources of important or
// core grade this year, through the real assessment service — so that
// sharing, opening and zone use of them are allowed — except the
// statistics bureau's economic census records, which are shared and
// opened with no one: their assessment is due, a draft in progress.

// AssessServices are the services SeedAssessments goes through.
type AssessServices struct {
	Identity *identity.Service
	Catalog  *catalog.Service
	Assess   *assess.Service
}

// DueAssessmentTitle is the title of the resource whose assessment the
// demo leaves due.
const DueAssessmentTitle = "经济普查单位基本信息"

// SeedAssessments assesses the demo's resources of important or core
// grade. It is idempotent (a resource with any assessment is skipped) and
// runs after Seed, before the demo shares or opens anything.
func SeedAssessments(ctx context.Context, s AssessServices) error {
	for _, class := range []catalog.Classification{catalog.ClassImportant, catalog.ClassCore} {
		f := catalog.Filter{Classification: class, Limit: 200}
		for {
			page, err := s.Catalog.List(ctx, identity.System, f)
			if err != nil {
				return fmt.Errorf("demo assessments: %w", err)
			}
			for _, r := range page.Items {
				if r.Status == catalog.StatusRetired {
					continue
				}
				if err := assessDemoResource(ctx, s, r); err != nil {
					return fmt.Errorf("demo assessments: %w", err)
				}
			}
			if page.NextCursor == "" {
				break
			}
			f.Cursor = page.NextCursor
		}
	}
	return nil
}

// assessDemoResource assesses r as its institution's editor, unless it
// has an assessment already.
func assessDemoResource(ctx context.Context, s AssessServices, r catalog.Resource) error {
	org, err := s.Identity.Organization(ctx, r.OrganizationID)
	if err != nil {
		return err
	}
	u, err := s.Identity.UserByName(ctx, editorName(org.Code))
	if err != nil {
		return fmt.Errorf("%s: %w", editorName(org.Code), err)
	}
	editor, err := s.Identity.Principal(ctx, u.ID)
	if err != nil {
		return err
	}
	if done, _, err := s.Assess.List(ctx, editor, assess.Filter{ResourceID: r.ID, Limit: 1}); err != nil || len(done) > 0 {
		return err
	}
	return assessResource(ctx, s.Assess, editor, r, r.TitleZh != DueAssessmentTitle)
}

// assessResource assesses r as editor with the demo's items for it and,
// when complete is set, adds the remediation task and completes the
// assessment; else it stays a draft.
func assessResource(ctx context.Context, svc *assess.Service, editor identity.Principal, r catalog.Resource, complete bool) error {
	a, err := svc.Create(ctx, editor, assess.NewInput{Scope: assess.ScopeResource, ResourceID: r.ID,
		Title: fmt.Sprintf("%d年度数据安全风险评估：%s", time.Now().In(time.FixedZone("CST", 8*3600)).Year(), r.TitleZh),
		ScopeNote: "评估对象为该数据资源及其来源系统（" + r.SourceSystem + "）、共享交换接口和平台存储；" +
			"依据 GB/T 20984《信息安全技术 信息安全风险评估方法》，采用矩阵法计算风险值。"})
	if err != nil {
		return fmt.Errorf("%s: %w", r.TitleZh, err)
	}
	in := assess.SaveInput{Title: a.Title, ScopeNote: a.ScopeNote, Items: demoItems(r),
		Conclusion: "数据资源总体风险处于可控水平。接口越权访问风险已有访问控制措施，需在整改期限内完成细粒度授权改造；" +
			"内部人员违规导出风险可接受，继续执行操作审计。评估结论：同意按目录确定的共享、开放属性提供数据。"}
	if !complete {
		in.Conclusion = ""
	}
	if _, err := svc.Save(ctx, editor, a.ID, in); err != nil {
		return fmt.Errorf("%s: %w", r.TitleZh, err)
	}
	if !complete {
		return nil
	}
	deadline := time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 3, 0).Format(time.DateOnly)
	if _, err := svc.AddTask(ctx, editor, a.ID, assess.TaskInput{Finding: "F1", Title: "共享接口按数据项实施细粒度授权，并对批量调用设置频率上限",
		OwnerUserID: editor.UserID, Deadline: deadline}); err != nil {
		return fmt.Errorf("%s: task: %w", r.TitleZh, err)
	}
	if _, err := svc.Complete(ctx, editor, a.ID); err != nil {
		return fmt.Errorf("%s: complete: %w", r.TitleZh, err)
	}
	return nil
}

// demoItems are the assessment items of a demo resource: the data and its
// source system, three threats, three vulnerabilities, the measures in
// place and two findings.
func demoItems(r catalog.Resource) assess.Items {
	value := min(r.Level+1, 5)
	return assess.Items{
		Assets: []assess.Asset{
			{Code: "A1", Name: r.TitleZh, Kind: "data", Value: value, Description: "重要数据，含 " + fmt.Sprint(len(r.Items)) + " 个数据项"},
			{Code: "A2", Name: r.SourceSystem, Kind: "system", Value: 3},
		},
		Threats: []assess.Threat{
			{Code: "T1", Name: "外部攻击者利用接口漏洞批量获取数据", Source: "external_attack", Likelihood: 3},
			{Code: "T2", Name: "内部人员违规查询或导出", Source: "insider", Likelihood: 2},
			{Code: "T3", Name: "共享使用方超范围使用", Source: "supplier", Likelihood: 2},
		},
		Vulnerabilities: []assess.Vulnerability{
			{Code: "V1", Name: "共享接口授权粒度为整表，未按数据项控制", Asset: "A1", Threat: "T1", Severity: 4},
			{Code: "V2", Name: "来源系统运维账号权限较宽", Asset: "A2", Threat: "T2", Severity: 3},
			{Code: "V3", Name: "使用方用途约束依赖协议，技术手段有限", Asset: "A1", Threat: "T3", Severity: 3},
		},
		Measures: []assess.Measure{
			{Code: "M1", Name: "平台统一访问决策与访问日志上链存证", Kind: "technical", Effective: true, Vulnerabilities: []string{"V1", "V3"}},
			{Code: "M2", Name: "运维操作审计与双人复核制度", Kind: "management", Effective: true, Vulnerabilities: []string{"V2"}},
		},
		Findings: []assess.Finding{
			{Code: "F1", Text: "共享接口应按数据项授权并限制批量调用频率，降低越权批量获取的风险。", Risks: []string{"V1"}, Treatment: "reduce"},
			{Code: "F2", Text: "内部违规导出和超范围使用风险在现有审计和协议约束下可接受，持续监测。", Risks: []string{"V2", "V3"}, Treatment: "accept"},
		},
	}
}
