package demo

import "dataport/internal/catalog"

// labourResources are cataloged by 市人力社保局.
var labourResources = forOrg("RSJ", []resourceSpec{
	{Input: catalog.Input{
		TitleZh: "社会保险参保单位数", TitleEn: "Employers covered by social insurance",
		DescriptionZh: "按区和险种统计的社会保险参保单位数、参保人数和新增参保单位数，每月更新。",
		Subject:       "11", Industry: "S", Keywords: []string{"社会保险", "参保单位", "养老保险", "统计"},
		Formats: []string{"CSV", "XLSX"}, UpdateFrequency: catalog.FreqMonthly,
		ShareType: shareAll, OpenType: openAll,
		Classification: general, Level: 1, SourceSystem: "社会保险经办管理信息系统",
		Items: []catalog.Item{
			key(month("stat_month", "统计月份")),
			key(district()),
			key(code("insurance_type", "险种", insuranceTypes)),
			integer("employer_count", "参保单位数"),
			integer("insured_people", "参保人数"),
			opt(integer("new_employers", "新增参保单位数")),
		},
	}},
	{Input: catalog.Input{
		TitleZh: "人力资源服务机构名录", TitleEn: "Human resources service agencies",
		DescriptionZh: "本市取得人力资源服务许可或备案的经营性人力资源服务机构名录，包括服务范围和许可有效期。",
		Subject:       "12", Industry: "L", Keywords: []string{"人力资源服务", "职业中介", "劳务派遣"},
		Formats: []string{"CSV", "JSON"}, UpdateFrequency: catalog.FreqMonthly,
		ShareType: shareAll, OpenType: openAll,
		Classification: general, Level: 1, SourceSystem: "人力资源市场管理系统",
		Items: []catalog.Item{
			key(text("licence_no", "人力资源服务许可证编号", 30)),
			text("name", "机构名称", 200),
			usccItem(),
			district(),
			text("address", "地址", 200),
			text("services", "服务范围", 500),
			date("licensed_on", "许可日期"),
			opt(date("valid_to", "有效期至")),
		},
	}},
	{state: revised,
		note: "请补充“生效日期”数据项，并在“月最低工资标准”的说明中注明是否包含劳动者个人缴纳的社会保险费和住房公积金。",
		revise: func(in *catalog.Input) {
			for i := range in.Items {
				if in.Items[i].Name == "monthly_min_wage" {
					in.Items[i].Description = "不包含劳动者个人应缴纳的社会保险费和住房公积金"
				}
			}
			in.Items = append(in.Items, date("effective_from", "生效日期"))
		},
		Input: catalog.Input{
			TitleZh: "最低工资标准", TitleEn: "Minimum wage standards",
			DescriptionZh: "本市历年调整的月最低工资标准和非全日制从业人员小时最低工资标准及发文依据。",
			Subject:       "12", Industry: "S", Keywords: []string{"最低工资", "工资标准", "劳动报酬"},
			Formats: []string{"CSV", "JSON"}, UpdateFrequency: catalog.FreqYearly,
			ShareType: shareAll, OpenType: openAll,
			Classification: general, Level: 1, SourceSystem: "劳动关系管理系统",
			Items: []catalog.Item{
				key(integer("adjust_year", "调整年度")),
				decimal("monthly_min_wage", "月最低工资标准（元）", 8, 2),
				decimal("hourly_min_wage", "非全日制小时最低工资标准（元）", 6, 2),
				text("document_no", "发文字号", 50),
				text("scope", "适用范围", 200),
			},
		}},
	{Input: catalog.Input{
		TitleZh: "职业技能培训补贴发放统计", TitleEn: "Vocational training subsidy payments",
		DescriptionZh: "按区和培训职业（工种）汇总的职业技能培训人数、取得证书人数和补贴发放金额。",
		Subject:       "12", Industry: "P", Keywords: []string{"职业技能培训", "培训补贴", "技能提升"},
		Formats: []string{"XLSX", "CSV"}, UpdateFrequency: catalog.FreqQuarterly,
		ShareType: shareAll, OpenType: openCond,
		OpenBasis:      "有条件开放：仅限就业政策评估研究使用，申请人须实名注册并签订数据使用协议。",
		Classification: general, Level: 2, SourceSystem: "职业技能提升行动管理系统",
		Items: []catalog.Item{
			key(quarter("stat_quarter", "统计季度")),
			key(district()),
			key(text("occupation_name", "培训职业（工种）", 100)),
			integer("trainees", "培训人数"),
			integer("certified", "取得证书人数"),
			decimal("subsidy_amount", "补贴金额（元）", 14, 2),
		},
	}},
	{Input: catalog.Input{
		TitleZh: "社会保险个人参保信息", TitleEn: "Individual social insurance records",
		DescriptionZh: "参保人员的社会保险参保登记和缴费信息，包括参保险种、参保单位、缴费基数和累计缴费月数。",
		Subject:       "11", Industry: "S", Keywords: []string{"社会保险", "个人参保", "缴费记录"},
		Formats: []string{"API"}, UpdateFrequency: catalog.FreqMonthly,
		ShareType: shareCond, ShareBasis: personalShareBasis, OpenType: openNone, OpenBasis: personalOpenBasis,
		Classification: important, Level: 3, PersonalInfo: true, SourceSystem: "社会保险经办管理信息系统",
		Items: []catalog.Item{
			key(desc(text("social_security_no", "社会保障号码", 18), "与公民身份号码一致")),
			text("name", "姓名", 50),
			gender(),
			text("employer_uscc", "参保单位统一社会信用代码", 18),
			key(code("insurance_type", "险种", insuranceTypes)),
			date("insured_since", "参保日期"),
			code("status", "参保状态", codes("1", "正常参保", "2", "暂停缴费", "3", "终止参保")),
			decimal("contribution_base", "缴费基数（元）", 10, 2),
			integer("paid_months", "累计缴费月数"),
		},
	}},
	{state: draft, Input: catalog.Input{
		TitleZh: "用人单位工资支付信息", TitleEn: "Employer wage payments",
		DescriptionZh: "重点行业用人单位按月报送的工资发放情况，包括发放人数、应发工资总额、发放日期和欠薪金额，用于根治欠薪。",
		Subject:       "12", Industry: "S", Keywords: []string{"工资支付", "欠薪", "农民工工资"},
		Formats: []string{"API"}, UpdateFrequency: catalog.FreqMonthly,
		ShareType: shareCond, ShareBasis: "仅向住房城乡建设、交通、水务部门共享，用于工程建设领域工资支付监管和根治欠薪。",
		OpenType: openNone, OpenBasis: tradeSecretOpenBasis,
		Classification: general, Level: 2, SourceSystem: "农民工工资支付监控预警平台",
		Items: []catalog.Item{
			key(text("employer_uscc", "用人单位统一社会信用代码", 18)),
			key(month("pay_month", "工资所属月份")),
			text("employer_name", "用人单位名称", 200),
			integer("employees_paid", "发放人数"),
			decimal("total_wages", "应发工资总额（元）", 16, 2),
			date("paid_on", "发放日期"),
			boolean("paid_through_special_account", "是否通过工资专用账户发放"),
			opt(decimal("arrears_amount", "欠薪金额（元）", 14, 2)),
		},
	}},
})
