package classify

import (
	"fmt"
	"slices"
	"time"

	"dataport/internal/catalog"
)

// The rules that a grade imposes on opening and sharing live here, in one
// place; the access decision point asks Enforce before every read, and the
// catalog asks OpenCheck before a resource is opened unconditionally.

// Use is why data leaves its institution.
type Use string

// Uses.
const (
	UseOpen            Use = "open"             // 无条件开放: to anyone
	UseOpenConditional Use = "open_conditional" // 有条件开放: to an approved applicant
	UseShare           Use = "share"            // 共享: to another public institution
	UseZone            Use = "zone"             // 专区: to an authorised operator inside a zone
)

// Path is a way rows are read.
type Path string

// Paths.
const (
	PathDownload Path = "download"
	PathAPI      Path = "api"  // native row API
	PathCKAN     Path = "ckan" // CKAN datastore_search and friends
	PathSQL      Path = "sql"
	PathExport   Path = "export"
	PathSandbox  Path = "sandbox"
)

// OpenPaths are the paths by which opened data is read; a resource opened
// unconditionally needs a de-identification profile on each of them.
var OpenPaths = []Path{PathDownload, PathAPI, PathCKAN, PathSQL, PathExport}

// ProfileRef names a de-identification profile of a resource and the paths
// it applies to (all paths when Paths is empty).
type ProfileRef struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Paths []Path `json:"paths"`
}

func (p ProfileRef) covers(path Path) bool {
	return len(p.Paths) == 0 || slices.Contains(p.Paths, path)
}

// Policy holds the configurable part of the rules.
type Policy struct {
	// MaxOpenLevel is the highest level of general data that may be opened
	// unconditionally without de-identification (personal information
	// always needs it).
	MaxOpenLevel int
}

// DefaultPolicy opens general data up to level 2 without de-identification,
// unless it holds personal information.
var DefaultPolicy = Policy{MaxOpenLevel: 2}

// EnforcementInput is what Enforce decides on.
type EnforcementInput struct {
	Resource catalog.Resource
	// Grading is the resource's stored grade; nil when never graded. The
	// stricter of it and the resource's declared grade applies (就高从严).
	Grading  *Grading
	Use      Use
	Path     Path
	Profiles []ProfileRef
	// Assessment is the resource's current completed security risk
	// assessment (GB/T 20984, art. 46), nil when it has none.
	Assessment *Assessment
	// Now is when the data is used: an assessment valid until Now or
	// before is no longer current (zero: its validity is not checked).
	Now time.Time
}

// Assessment is what the rules need of a resource's completed security
// risk assessment: the grade it assessed and until when it holds.
type Assessment struct {
	ID          string                 `json:"id"`
	Class       catalog.Classification `json:"class"`
	Level       int                    `json:"level"`
	CompletedAt time.Time              `json:"completed_at"`
	ValidUntil  time.Time              `json:"valid_until"`
}

// Requirement is what a read must satisfy.
type Requirement struct {
	// Allowed is false when the grade forbids this use outright.
	Allowed bool `json:"allowed"`
	// ProfileID, when set, is the de-identification profile the rows must pass through.
	ProfileID string `json:"profile_id,omitempty"`
	// OperatorApproval means the platform operator must have approved the grant.
	OperatorApproval bool `json:"operator_approval"`
	// The grade the decision used.
	Class        catalog.Classification `json:"class"`
	Level        int                    `json:"level"`
	PersonalInfo bool                   `json:"personal_information"`
	Reasons      []string               `json:"reasons"`
}

// Effective returns the stricter of the declared and the graded grade.
func Effective(r catalog.Resource, g *Grading) (catalog.Classification, int, bool) {
	class, level, pi := r.Classification, r.Level, r.PersonalInfo
	if class == "" {
		class = catalog.ClassGeneral
	}
	if g != nil {
		if Severity(g.Class, g.Level) > Severity(class, level) {
			class, level = g.Class, g.Level
		}
		pi = pi || g.PersonalInfo
	}
	return class, level, pi
}

// Enforce decides what a read of the resource for this use and path
// requires: core data is never opened; data with personal information, or
// above the policy's level, or important, is opened unconditionally only
// through a de-identification profile that covers the path; important and
// core data are shared only with the platform operator's approval; and
// important and core data are shared, opened or used in a zone only while a
// completed security risk assessment of the resource at its present grade
// is current (art. 46). Where a profile covers the path it is applied on
// every use, required or not.
func (p Policy) Enforce(in EnforcementInput) Requirement {
	class, level, pi := Effective(in.Resource, in.Grading)
	req := Requirement{Allowed: true, Class: class, Level: level, PersonalInfo: pi}
	for _, ref := range in.Profiles {
		if ref.covers(in.Path) {
			req.ProfileID = ref.ID
			break
		}
	}
	switch in.Use {
	case UseOpen, UseOpenConditional:
		if class == catalog.ClassCore {
			return deny(req, "core data is never opened (GB/T 43697)")
		}
		if in.Use == UseOpen {
			if why := p.needsProfile(class, level, pi); why != "" && req.ProfileID == "" {
				return deny(req, fmt.Sprintf("%s: opening it needs a de-identification profile covering the %s path", why, in.Path))
			} else if why != "" {
				req.Reasons = append(req.Reasons, why+": rows pass through de-identification profile "+req.ProfileID)
			}
		}
	case UseShare, UseZone:
		if class == catalog.ClassImportant || class == catalog.ClassCore {
			req.OperatorApproval = true
			req.Reasons = append(req.Reasons, string(class)+" data is shared only with the platform operator's approval")
		}
	default:
		return deny(req, fmt.Sprintf("unknown use %q", in.Use))
	}
	if why := assessmentMissing(class, level, in.Assessment, in.Now); why != "" {
		return deny(req, why)
	}
	return req
}

// assessmentMissing says why important or core data of this grade lacks
// the current risk assessment its use requires ("" when it has one or
// needs none).
func assessmentMissing(class catalog.Classification, level int, a *Assessment, now time.Time) string {
	if class != catalog.ClassImportant && class != catalog.ClassCore {
		return ""
	}
	const rule = " data is shared, opened or used in a zone only after a completed security risk assessment (art. 46, GB/T 20984)"
	switch {
	case a == nil:
		return string(class) + rule + ": the resource has none"
	case Severity(a.Class, a.Level) != Severity(class, level):
		return fmt.Sprintf("%s%s: assessment %s assessed %s data at level %d, the resource is now %s at level %d and must be assessed again",
			class, rule, a.ID, a.Class, a.Level, class, level)
	case !now.IsZero() && !now.Before(a.ValidUntil):
		return fmt.Sprintf("%s%s: assessment %s lapsed on %s", class, rule, a.ID, a.ValidUntil.UTC().Format(time.DateOnly))
	}
	return ""
}

// needsProfile says why opening a grade to the public needs de-identification ("" if it does not).
func (p Policy) needsProfile(class catalog.Classification, level int, pi bool) string {
	switch {
	case class != catalog.ClassGeneral:
		return fmt.Sprintf("the resource is %s data", class)
	case pi:
		return "the resource holds personal information"
	case level > p.MaxOpenLevel:
		return fmt.Sprintf("the resource is graded level %d, above the %d that opens as is", level, p.MaxOpenLevel)
	}
	return ""
}

func deny(req Requirement, why string) Requirement {
	req.Allowed = false
	req.ProfileID = ""
	req.Reasons = append(req.Reasons, why)
	return req
}

// OpenCheck reports, before a resource is opened unconditionally, why it
// cannot be: nil when its grade allows it or de-identification profiles
// cover every open path.
func (p Policy) OpenCheck(r catalog.Resource, g *Grading, profiles []ProfileRef) error {
	class, level, pi := Effective(r, g)
	if class == catalog.ClassCore {
		return fmt.Errorf("%w: core data is never opened", ErrEnforcement)
	}
	why := p.needsProfile(class, level, pi)
	if why == "" {
		return nil
	}
	var missing []Path
	for _, path := range OpenPaths {
		if !slices.ContainsFunc(profiles, func(ref ProfileRef) bool { return ref.covers(path) }) {
			missing = append(missing, path)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s, and no de-identification profile covers %v", ErrEnforcement, why, missing)
	}
	return nil
}
