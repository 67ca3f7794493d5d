package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"dataport/internal/identity"
	"dataport/internal/monitor"
)

// The security monitoring's pages share a local navigation, the check of
// who sees them (monitor.CanSee: the security officer, the regulator, the
// auditor) and how an alert's subject and figures read.

// SeesSecurity reports whether the viewer sees the security pages (the
// navigation's "security").
func (v view) SeesSecurity() bool { return !v.Principal.IsAnonymous() && monitor.CanSee(v.Principal) }

// securityNav is the security pages' local navigation.
type securityNav struct {
	Section string // hub, alerts, rules
	Manage  bool   // the viewer is the security officer
}

// securityViewer returns r's viewer when it may see the security pages:
// anonymous callers are sent to sign in, others refused (403).
func securityViewer(r *http.Request) (identity.Principal, securityNav, error) {
	p, err := requireUser(r)
	if err != nil {
		return p, securityNav{}, err
	}
	if !monitor.CanSee(p) {
		return p, securityNav{}, identity.ErrForbidden
	}
	return p, securityNav{Manage: monitor.CanManage(p)}, nil
}

// alertPath is an alert's page.
func alertPath(id string) string { return "/security/alerts/" + url.PathEscape(id) }

// ruleNames maps each rule's code to its name in lang.
func ruleNames(lang string, rules []monitor.Rule) map[string]string {
	out := make(map[string]string, len(rules))
	for _, r := range rules {
		out[r.Code] = pick(lang, r.NameZh, r.NameEn)
	}
	return out
}

// alertSubjectView is an alert's subject as people read it: a user by
// name, a grant or key with a link, an address by its hash's first digits.
type alertSubjectView struct {
	Kind  string // user, key, grant, address, resource, …
	Label string
	Link  string
}

// subjectViews reads the subjects of alerts ("user:ID", "grant:ID",
// "address:HASH", …), naming users in one lookup.
func (s *server) subjectViews(ctx context.Context, alerts []monitor.Alert) map[string]alertSubjectView {
	var users []string
	for _, a := range alerts {
		if id, ok := strings.CutPrefix(a.Subject, "user:"); ok {
			users = append(users, id)
		}
	}
	names, err := s.identity.Usernames(ctx, users)
	if err != nil {
		s.log.WarnContext(ctx, "ui: alert subjects' names", "err", err)
	}
	out := map[string]alertSubjectView{}
	for _, a := range alerts {
		kind, id, _ := strings.Cut(a.Subject, ":")
		v := alertSubjectView{Kind: kind, Label: id}
		switch kind {
		case "user":
			if n := names[id]; n != "" {
				v.Label = n
			}
		case "grant":
			v.Label, v.Link = shortID(id), "/grants/"+url.PathEscape(id)
		case "key", "address":
			v.Label = shortID(id)
		case "resource":
			v.Label, v.Link = shortID(id), "/resources/"+url.PathEscape(id)
		}
		out[a.Subject] = v
	}
	return out
}

// figure is one of an alert's figures (counts, baselines, thresholds).
type figure struct{ Name, Value string }

// figures lists an alert's figures by name, times as dates are shown.
func figures(m map[string]any) []figure {
	out := make([]figure, 0, len(m))
	for k, v := range m {
		val := fmt.Sprint(v)
		if t, err := time.Parse(time.RFC3339Nano, val); err == nil { // window starts, first and last hits
			val = date(t)
		}
		if f, ok := v.(float64); ok {
			val = strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
		}
		if l, ok := v.([]any); ok {
			parts := make([]string, len(l))
			for i, e := range l {
				parts[i] = fmt.Sprint(e)
			}
			val = strings.Join(parts, ", ")
		}
		out = append(out, figure{k, val})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// severityOrder lists the severities most urgent first.
func severityOrder() []monitor.Severity {
	out := slices.Clone(monitor.Severities)
	slices.Reverse(out)
	return out
}
