package monitor

import (
	"slices"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/interpreter"
)

// Observation is one thing the rules run on: an access decision (or the
// rows served under one), a sign-in attempt, or a workflow event. It holds
// identifiers and keyed hashes only. Rules read its fields as the CEL
// variables listed in Variables.
type Observation struct {
	Source  string
	At      time.Time
	Subject string // who acted: "key:ID", "user:ID", "address:HASH", "anonymous"

	// A decision (source decision).
	DecisionID   string
	EventID      string // the sealed event carrying it: a decision's access.decisions batch event, a sign-in's or workflow's own
	UserID       string
	KeyID        string
	ResourceID   string
	Action       string
	Purpose      string
	Channel      string
	Allow        bool
	Reason       string
	GrantID      string
	OriginKind   string
	ProfileID    string
	FilterFields []string
	Rows         int64 // rows served under the decision (RowsReported)
	RowsReported bool  // this observation reports the rows served under an earlier-observed decision
	// The de-identification profile's quasi-identifiers and k, when the
	// decision applied one (filled in by the engine).
	QuasiIdentifiers []string
	K                int64

	// A sign-in attempt (source signin).
	OK           bool
	UsernameHash string
	AddressHash  string

	// A workflow event (source event).
	EventType   string
	SubjectKind string
	SubjectID   string
	ActorUserID string
}

// Variable documents one variable rules may read.
type Variable struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Sources []string `json:"sources"`
	Doc     string   `json:"doc"`
}

// Variables are what a rule's where condition, group_by, field and value read.
var Variables = []Variable{
	{"source", "string", Sources, "decision, signin or event"},
	{"at", "timestamp", Sources, "when it happened"},
	{"subject", "string", Sources, `who acted: "key:ID", "user:ID", "address:HASH" (sign-ins) or "anonymous"`},
	{"event_id", "string", Sources, "the sealed event that carries it"},
	{"decision_id", "string", []string{SourceDecision}, "the decision's id in the decision log"},
	{"user_id", "string", []string{SourceDecision, SourceSignIn, SourceEvent}, "the user (a sign-in's when the account exists; an event's actor)"},
	{"key_id", "string", []string{SourceDecision}, "the per-grant API key used"},
	{"resource_id", "string", []string{SourceDecision}, "the resource read"},
	{"action", "string", []string{SourceDecision}, "read, download, query or compute"},
	{"purpose", "string", []string{SourceDecision}, "the declared purpose"},
	{"channel", "string", []string{SourceDecision}, "the data path (api_rows, ckan_datastore, export, …)"},
	{"allow", "bool", []string{SourceDecision}, "the decision allowed the read"},
	{"reason", "string", []string{SourceDecision, SourceSignIn}, "the decision's reason code (grant_expired, no_grant, …); a sign-in's (bad_credentials, throttled, …)"},
	{"grant_id", "string", []string{SourceDecision}, "the grant decided on"},
	{"origin_kind", "string", []string{SourceDecision}, "the workflow that created the grant"},
	{"profile_id", "string", []string{SourceDecision}, "the de-identification profile applied"},
	{"filter_fields", "list(string)", []string{SourceDecision}, "the items the read filtered on"},
	{"rows", "int", []string{SourceDecision}, "rows served (when rows_reported)"},
	{"rows_reported", "bool", []string{SourceDecision}, "this reports the rows served under a decision, not the decision"},
	{"quasi_identifiers", "list(string)", []string{SourceDecision}, "the applied profile's quasi-identifiers"},
	{"k", "int", []string{SourceDecision}, "the applied profile's k"},
	{"ok", "bool", []string{SourceSignIn}, "the sign-in succeeded"},
	{"username_hash", "string", []string{SourceSignIn}, "keyed hash of the username tried"},
	{"address_hash", "string", []string{SourceSignIn}, "keyed hash of the client address"},
	{"event_type", "string", []string{SourceEvent}, "the event's type, e.g. sharing.request.approved"},
	{"subject_kind", "string", []string{SourceEvent}, "the event's subject kind"},
	{"subject_id", "string", []string{SourceEvent}, "the event's subject id"},
	{"actor_user_id", "string", []string{SourceEvent}, "the event's actor"},
}

// groupVars are the text variables group_by and field may name; numberVars
// those value may name.
var (
	groupVars  = []string{"subject", "user_id", "key_id", "resource_id", "grant_id", "profile_id", "purpose", "channel", "action", "reason", "username_hash", "address_hash", "event_type", "subject_kind", "subject_id", "actor_user_id"}
	numberVars = []string{"rows"}
)

func isGroupVar(name string) bool { return slices.Contains(groupVars, name) }

// text returns the text variable name of o.
func (o *Observation) text(name string) string {
	switch name {
	case "subject":
		return o.Subject
	case "user_id":
		return o.UserID
	case "key_id":
		return o.KeyID
	case "resource_id":
		return o.ResourceID
	case "grant_id":
		return o.GrantID
	case "profile_id":
		return o.ProfileID
	case "purpose":
		return o.Purpose
	case "channel":
		return o.Channel
	case "action":
		return o.Action
	case "reason":
		return o.Reason
	case "username_hash":
		return o.UsernameHash
	case "address_hash":
		return o.AddressHash
	case "event_type":
		return o.EventType
	case "subject_kind":
		return o.SubjectKind
	case "subject_id":
		return o.SubjectID
	case "actor_user_id":
		return o.ActorUserID
	}
	return ""
}

// number returns the number variable name of o (1 for "": a match counts one).
func (o *Observation) number(name string) float64 {
	if name == "rows" {
		return float64(o.Rows)
	}
	return 1
}

// celEnv declares Variables.
var celEnv = func() *cel.Env {
	types := map[string]*cel.Type{"string": cel.StringType, "bool": cel.BoolType, "int": cel.IntType, "timestamp": cel.TimestampType,
		"list(string)": cel.ListType(cel.StringType)}
	opts := make([]cel.EnvOption, 0, len(Variables))
	for _, v := range Variables {
		opts = append(opts, cel.Variable(v.Name, types[v.Type]))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		panic(err)
	}
	return env
}()

// activation binds an observation to the variables without building a map.
type activation struct{ o *Observation }

var _ interpreter.Activation = activation{}

// ResolveName implements interpreter.Activation.
func (a activation) ResolveName(name string) (any, bool) {
	o := a.o
	switch name {
	case "source":
		return o.Source, true
	case "at":
		return o.At, true
	case "event_id":
		return o.EventID, true
	case "decision_id":
		return o.DecisionID, true
	case "allow":
		return o.Allow, true
	case "filter_fields":
		return stringList(o.FilterFields), true
	case "rows":
		return o.Rows, true
	case "rows_reported":
		return o.RowsReported, true
	case "quasi_identifiers":
		return stringList(o.QuasiIdentifiers), true
	case "k":
		return o.K, true
	case "ok":
		return o.OK, true
	case "origin_kind":
		return o.OriginKind, true
	}
	if isGroupVar(name) {
		return o.text(name), true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (activation) Parent() interpreter.Activation { return nil }

func stringList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
