package ui

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/web/ui/i18n"
	"dataport/internal/zones"
	"dataport/internal/zones/zsql"
)

// The public data zones' pages (专区): the list and a zone's public page,
// an operator's application, the workspace where an authorised operator
// runs aggregate SQL, a query's result, and the steward's desk. The
// zones service decides every read and change; the pages only choose
// which links and forms to show.

// ZoneSection reports whether the page is one of the zones' (the
// navigation's "data zones").
func (v view) ZoneSection() bool { return v.Current("/zones") }

// zoneNav is a zone's local navigation: which section is shown and what
// the viewer may reach.
type zoneNav struct {
	Zone       zones.Zone
	Section    string // zone, apply, workspace, steward
	SignedIn   bool
	CanApply   bool // a member of a company or institution
	Authorised bool // the viewer's organization holds an active authorisation
	Steward    bool // the steward's members and platform operators
}

// Path is the zone's page.
func (n zoneNav) Path() string { return zonePath(n.Zone) }

// zonePath is a zone's page address (by its code).
func zonePath(z zones.Zone) string { return "/zones/" + url.PathEscape(z.Code) }

// zoneFor reads the zone of r's {code} as r's viewer may see it.
func (s *server) zoneFor(r *http.Request) (zones.Zone, error) {
	return s.acc.Zones.Get(r.Context(), principal(r), r.PathValue("code"))
}

// zoneNavFor builds the navigation of zone z's section for r's viewer,
// with the viewer's active authorisation when it has one.
func (s *server) zoneNavFor(r *http.Request, z zones.Zone, section string) (zoneNav, *zones.Authorisation) {
	p := principal(r)
	n := zoneNav{Zone: z, Section: section, SignedIn: !p.IsAnonymous(), CanApply: len(operatorOrgs(p, z)) > 0, Steward: zoneSteward(p, z)}
	if p.IsAnonymous() {
		return n, nil
	}
	auth := s.viewerAuthorisation(r.Context(), p, z)
	n.Authorised = auth != nil
	return n, auth
}

// viewerAuthorisation returns the active authorisation of one of p's
// organizations in zone z, or nil.
func (s *server) viewerAuthorisation(ctx context.Context, p identity.Principal, z zones.Zone) *zones.Authorisation {
	list, err := s.acc.Zones.Authorisations(ctx, p, z.ID)
	if err != nil {
		if !errors.Is(err, identity.ErrForbidden) {
			s.log.WarnContext(ctx, "ui: the viewer's zone authorisations", "zone", z.ID, "err", err)
		}
		return nil
	}
	for _, a := range list {
		if a.Status == zones.AuthActive && slices.Contains(p.OrgIDs(), a.OperatorOrgID) {
			return &a
		}
	}
	return nil
}

// zoneSteward says whether p sees the zone's steward desk: the members of
// its steward institution and the platform's operators (the service
// decides each of the desk's reads and decisions again).
func zoneSteward(p identity.Principal, z zones.Zone) bool {
	if p.IsAnonymous() {
		return false
	}
	return p.RoleIn(z.StewardOrgID) != "" || p.Has(identity.PlatformOperator) || p.Has(identity.PlatformSysadmin)
}

// operatorOrgs are the organizations p may apply for in zone z
// (zones.CanOperate), other than its steward.
func operatorOrgs(p identity.Principal, z zones.Zone) []string {
	var out []string
	for _, m := range p.Memberships {
		if zones.CanOperate(m.OrgKind) && m.OrganizationID != z.StewardOrgID {
			out = append(out, m.OrganizationID)
		}
	}
	return out
}

// zoneName is a zone's name in lang.
func zoneName(lang string, z zones.Zone) string { return pick(lang, z.NameZh, z.NameEn) }

// epsilonText writes an epsilon as a person reads it: at most four
// decimals, no trailing zeros ("3", "0.5", "0.1234").
func epsilonText(eps float64) string {
	return strconv.FormatFloat(math.Round(eps*1e4)/1e4, 'f', -1, 64)
}

// countText writes a whole number with thousands separators.
func countText(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// cellText writes one value of a result: numbers with at most two
// decimals, text as it is.
func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return countText(int64(x))
		}
		return strconv.FormatFloat(x, 'f', 2, 64)
	case float32:
		return cellText(float64(x))
	case int64:
		return countText(x)
	case int:
		return countText(int64(x))
	case string:
		return x
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

// ruleWords are a zone's disclosure rules in plain words.
func ruleWords(lang string, r zones.Rules) []string {
	t := func(key string, args ...any) string { return i18n.T(lang, key, args...) }
	out := []string{t("zones.rule.min_cell", r.MinCellSize)}
	if !r.DominanceOff && r.DominanceN > 0 {
		out = append(out, t("zones.rule.dominance", r.DominanceN, strconv.FormatFloat(r.DominanceK, 'f', -1, 64)))
	}
	out = append(out, t("zones.rule.secondary"), t("zones.rule.difference", r.MinCellSize))
	var mechs []string
	for _, m := range r.Mechanisms {
		mechs = append(mechs, codeLabel(lang, "zones.mechanism", string(m)))
	}
	out = append(out, t("zones.rule.mechanisms", strings.Join(mechs, listSep(lang))))
	if slices.Contains(r.Mechanisms, zsql.DP) {
		out = append(out, t("zones.rule.epsilon", epsilonText(r.EpsilonBudget), epsilonText(r.MaxEpsilon)),
			t("zones.rule.noise", codeLabel(lang, "zones.noise", r.Noise)))
	}
	out = append(out, t("zones.rule.review", r.MinCellSize+r.ReviewMargin, r.ReviewCells),
		t("zones.rule.limits", countText(r.MaxRowsScanned), r.MaxSeconds, countText(int64(r.MaxCells))))
	return out
}

// schemaItem is one item of a zone resource as the pages describe it:
// its name, label and type (when the catalog shows the resource), its
// role and what statements may do with it.
type schemaItem struct {
	Name, Label string
	Type        catalog.ItemType
	Role        zsql.Role
	Bounds      string // "0 – 50000" when the zone clamps it
	Use         string // message key: what a statement may do with it
	Codes       []catalog.Code
}

// schemaTable is one member resource with its items.
type schemaTable struct {
	M     zones.Member
	Title string
	Org   identity.Organization
	Items []schemaItem
}

// schemaTables describes the zone's member resources (those of ids only,
// when ids is not nil), in the zone's order.
func (s *server) schemaTables(ctx context.Context, p identity.Principal, lang string, z zones.Zone, ids []string) []schemaTable {
	n := newNames(s, ctx, p)
	var out []schemaTable
	for _, m := range z.Members {
		if ids != nil && !slices.Contains(ids, m.ResourceID) {
			continue
		}
		res := n.resource(m.ResourceID)
		st := schemaTable{M: m, Title: pick(lang, m.TitleZh, m.TitleEn), Org: n.org(m.OrgID)}
		for _, it := range m.Items {
			st.Items = append(st.Items, newSchemaItem(it, res.Items))
		}
		out = append(out, st)
	}
	return out
}

// newSchemaItem describes rule it, with the catalog's item of the same
// name when the viewer may see it.
func newSchemaItem(it zones.ItemRule, items []catalog.Item) schemaItem {
	si := schemaItem{Name: it.Name, Role: it.Role}
	if i := slices.IndexFunc(items, func(c catalog.Item) bool { return c.Name == it.Name }); i >= 0 {
		si.Label, si.Type = items[i].LabelZh, items[i].Type
		if it.Role == zsql.RoleAttribute {
			si.Codes = items[i].CodeList
		}
	}
	if it.Lower != nil && it.Upper != nil {
		si.Bounds = strconv.FormatFloat(*it.Lower, 'f', -1, 64) + " – " + strconv.FormatFloat(*it.Upper, 'f', -1, 64)
	}
	numeric := si.Type == catalog.TypeInteger || si.Type == catalog.TypeDecimal
	switch {
	case it.Role == zsql.RoleKey:
		si.Use = "zones.use.key"
	case it.Role == zsql.RoleText:
		si.Use = "zones.use.text"
	case numeric && si.Bounds != "":
		si.Use = "zones.use.bounded"
	case numeric:
		si.Use = "zones.use.numeric"
	default:
		si.Use = "zones.use.attribute"
	}
	return si
}

// codeLabels are the labels of the codes of the code-list items of the
// resources ids, by item name: a result's column named after such an
// item shows each code with its label.
func (s *server) codeLabels(ctx context.Context, p identity.Principal, ids []string) map[string]map[string]string {
	n := newNames(s, ctx, p)
	out := map[string]map[string]string{}
	for _, id := range ids {
		for _, it := range n.resource(id).Items {
			if len(it.CodeList) == 0 || it.Key {
				continue
			}
			labels := map[string]string{}
			for _, c := range it.CodeList {
				labels[c.Code] = c.Label
			}
			out[it.Name] = labels
		}
	}
	return out
}
