// Package classify finds personal and sensitive information in tabular data
// and grades datasets under GB/T 43697 (general, important, core data; level
// 1–4). Its detectors recognise mainland-China identifiers with their check
// characters; a configurable rule set turns findings into a grade; and
// Enforce states, in one place, what a grade means for opening and sharing.
package classify

// Type names a kind of personal or identifying value a detector recognises.
type Type string

// The detectable types. The names are part of the scan contract.
const (
	ResidentID   Type = "CN_RESIDENT_ID"   // 居民身份证号码 (GB 11643), 18-digit or legacy 15-digit
	USCC         Type = "CN_USCC"          // 统一社会信用代码 (GB 32100)
	Mobile       Type = "CN_MOBILE"        // 手机号码 (MIIT segments)
	Landline     Type = "CN_LANDLINE"      // 固定电话 with area code
	BankCard     Type = "BANK_CARD"        // 银行卡号, 16–19 digits, Luhn
	Email        Type = "EMAIL"            // 电子邮件地址
	Passport     Type = "CN_PASSPORT"      // 护照, 港澳通行证, 回乡证, 台胞证
	LicensePlate Type = "CN_LICENSE_PLATE" // 机动车号牌, new-energy included
	IPAddress    Type = "IP_ADDRESS"       // IPv4 or IPv6
	PersonName   Type = "PERSON_NAME"      // 姓名 (surname list plus header context)
	Address      Type = "ADDRESS"          // 地址 (administrative-division keywords)
	GeoCoord     Type = "GEO_COORDINATE"   // 经纬度
	DateOfBirth  Type = "DATE_OF_BIRTH"    // 出生日期 (header context)
)

// Types lists every detectable type in a fixed order.
var Types = []Type{ResidentID, USCC, Mobile, Landline, BankCard, Email, Passport, LicensePlate,
	IPAddress, PersonName, Address, GeoCoord, DateOfBirth}

// PersonalInfo reports whether values of type t are personal information
// (PIPL art. 4): everything except organisation codes.
func (t Type) PersonalInfo() bool { return t != USCC && t != "" }

// Sensitive reports whether values of type t are sensitive personal
// information by themselves (PIPL art. 28, GB/T 35273 annex B): identity
// documents and financial accounts. Location, health and the other
// categories are decided from context (see Category).
func (t Type) Sensitive() bool {
	return t == ResidentID || t == BankCard || t == Passport
}

// needsContext reports whether a value of type t is only recognised when the
// column's header says what it holds: the value alone is too ambiguous
// (a two-character word, a date, a lone decimal number).
func (t Type) needsContext() bool {
	return t == PersonName || t == DateOfBirth
}

// Category is a class of sensitive personal information under PIPL art. 28.
type Category string

// The sensitive categories.
const (
	CatIdentity  Category = "identity"  // identity documents, specific identities (criminal records ...)
	CatFinancial Category = "financial" // financial accounts, income, credit
	CatHealth    Category = "health"    // medical and health
	CatReligion  Category = "religion"  // religious belief
	CatBiometric Category = "biometric" // fingerprints, faces, genes ...
	CatLocation  Category = "location"  // whereabouts, location tracks
	CatMinor     Category = "minor"     // personal information of children under 14
)
