package monitor

// Codes of the default rules (the UI, the demo and the tests use them).
const (
	RuleBulkDownload       = "bulk_download"
	RuleOffHours           = "off_hours"
	RuleVolumeSpike        = "volume_spike"
	RuleRepeatedDenials    = "repeated_denials"
	RuleCredentialStuffing = "credential_stuffing"
	RuleLapsedGrant        = "lapsed_grant"
	RuleReidQI             = "reid_qi"
)

// DefaultRules are the rules seeded on first start (and whenever one of
// their codes is missing). The security officer may edit or disable them.
var DefaultRules = []string{
	`code: bulk_download
name_zh: 批量下载超出本主体基线
name_en: Bulk download beyond the subject's own baseline
description: Rows served to one subject within a window far above what it usually takes.
severity: high
source: decision
where: rows_reported && rows > 0 && subject != "anonymous"
correlate:
  type: baseline
  group_by: [subject]
  value: rows
  window: 10m
  factor: 10
  min: 1000
  min_history: 3
suppress: 1h
`,
	`code: off_hours
name_zh: 授权在非惯常时段使用
name_en: Grant used outside its usual hours
description: A grant used at an hour of the day it has (almost) never been used at, once it has a history.
severity: medium
source: decision
where: allow && !rows_reported && grant_id != ""
correlate:
  type: hours
  group_by: [grant_id]
  min_history: 20
  min_count: 1
  timezone: Asia/Shanghai
suppress: 24h
`,
	`code: volume_spike
name_zh: 请求量突增
name_en: Sudden spike in requests
description: Requests of one subject within a window far above its own usual rate.
severity: medium
source: decision
where: '!rows_reported && subject != "anonymous"'
correlate:
  type: baseline
  group_by: [subject]
  window: 5m
  factor: 5
  min: 100
  min_history: 3
suppress: 1h
`,
	`code: repeated_denials
name_zh: 反复被拒绝的访问
name_en: Repeated denied reads
description: Many reads of one subject refused within a short time (probing for data it may not read).
severity: medium
source: decision
where: '!allow && !rows_reported && subject != "anonymous"'
correlate:
  type: count
  group_by: [subject]
  window: 10m
  threshold: 10
suppress: 1h
`,
	`code: credential_stuffing
name_zh: 撞库攻击
name_en: Credential stuffing across accounts
description: Failed sign-ins for many different accounts from one address.
severity: high
source: signin
where: '!ok && reason == "bad_credentials"'
correlate:
  type: distinct
  group_by: [address_hash]
  field: username_hash
  window: 10m
  threshold: 10
suppress: 1h
`,
	`code: lapsed_grant
name_zh: 授权失效后仍被使用
name_en: Grant used after it lapsed
description: A read under a grant that expired, was revoked, or whose purpose no longer covers the read.
severity: high
source: decision
where: '!allow && reason in ["grant_expired", "grant_revoked", "purpose_mismatch"]'
correlate:
  type: count
  group_by: [grant_id]
  window: 1h
  threshold: 1
suppress: 24h
`,
	`code: reid_qi
name_zh: 按准标识符查询去标识化数据
name_en: De-identified data requested at the quasi-identifier level
description: A read of a de-identified resource filtered on its quasi-identifiers that returned fewer rows than the profile's k.
severity: high
source: decision
where: rows_reported && profile_id != "" && k > 0 && rows < k && filter_fields.exists(f, f in quasi_identifiers)
correlate:
  type: count
  group_by: [subject]
  window: 1h
  threshold: 1
suppress: 1h
`,
}
