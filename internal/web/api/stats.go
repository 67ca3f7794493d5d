package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"reflect"

	"dataport/internal/stats"

	"github.com/danielgtaylor/huma/v2"
)

// tagStats groups the statistics.
const tagStats = "Statistics"

func init() {
	tags = append(tags, &huma.Tag{Name: tagStats, Description: "The platform's statistics (article 7), public: an indicator system " +
		"computed from the platform's own records (catalog, data, opening, sharing, zones, exchange, security), each indicator with its " +
		"code, names, unit, direction, kind (stock or flow) and how it is computed; daily snapshots per institution and city-wide, each " +
		"sealed by the ledger with the SHA-256 of its values; the values of a year, a month or a day as JSON or CSV."})
}

type statsIndicatorsIn struct {
	Period string `query:"period" required:"true" doc:"a year (2026), a month (2026-11) or a day (2026-11-30)" example:"2026"`
	Org    string `query:"org" doc:"one unit only: an organization's id or code, or city for the city-wide values"`
	Format string `query:"format" enum:"json,csv" default:"json"`
}

type statsSnapshotsIn struct {
	Period string `query:"period" doc:"only the days of a year, month or day"`
	Cursor string `query:"cursor" doc:"next_cursor of the previous page"`
	Limit  int    `query:"limit" minimum:"1" maximum:"366" default:"100"`
}

type statsDayIn struct {
	Day string `path:"day" doc:"YYYY-MM-DD" example:"2026-11-30"`
}

type statsDayOut struct{ Body stats.SnapshotDetail }

func statsOp(id, method, path, summary, desc string) huma.Operation {
	return huma.Operation{OperationID: id, Method: method, Path: "/stats" + path, Tags: []string{tagStats}, Summary: summary, Description: desc}
}

func (h *handlers) statsRoutes(api huma.API) {
	st := h.acc.Stats
	op := statsOp("get-stats-indicators", http.MethodGet, "/indicators", "The indicator values of a period",
		"For anyone. The indicator system and the values of a year, month or day per institution and city-wide (org_id \"\"), from the "+
			"daily snapshots: a stock's value on the period's last snapshot day, a flow summed over its days (a mean in hours weighted by "+
			"its events). A percentage or mean without a denominator has no value. format=csv gives UTF-8 CSV with a byte order mark, "+
			"one line per value. A period without snapshots gives no values.")
	table := api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[stats.Table](), true, "StatsTable")
	op.Responses = fileResponses("The period's indicators and values", map[string]*huma.Schema{"application/json": table,
		"text/csv": {Type: huma.TypeString}})
	huma.Register(api, op, func(ctx context.Context, in *statsIndicatorsIn) (*huma.StreamResponse, error) {
		t, err := st.Indicators(ctx, in.Period)
		if err == nil {
			t, err = st.ForOrg(ctx, t, "org", in.Org)
		}
		var body bytes.Buffer // written whole before the answer starts
		ctype, name := "application/json", "stats-"+in.Period+".json"
		if err == nil && in.Format == "csv" {
			ctype, name = "text/csv; charset=utf-8", "stats-"+in.Period+".csv"
			err = stats.WriteCSV(&body, t)
		} else if err == nil {
			err = json.NewEncoder(&body).Encode(t)
		}
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			hctx.SetHeader("Content-Type", ctype)
			hctx.SetHeader("Content-Disposition", `inline; filename="`+name+`"`)
			hctx.BodyWriter().Write(body.Bytes())
		}}, nil
	})
	huma.Register(api, statsOp("list-stats-snapshots", http.MethodGet, "/snapshots", "The daily snapshots",
		"For anyone, newest first: each day's hash (SHA-256 of its values' JSON), the institutions and values it holds, whether it was "+
			"backfilled (computed later from the records as they stood at the day's end) and when it was taken."),
		func(ctx context.Context, in *statsSnapshotsIn) (*List[stats.Snapshot], error) {
			list, err := st.Snapshots(ctx, in.Period, in.Cursor, in.Limit+1)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &List[stats.Snapshot]{}
			if len(list) > in.Limit {
				list = list[:in.Limit]
				out.Body.NextCursor = list[in.Limit-1].Day
			}
			out.Body.Items = list
			return out, nil
		})
	huma.Register(api, statsOp("get-stats-snapshot", http.MethodGet, "/snapshots/{day}", "One day's snapshot and its values",
		"For anyone: the snapshot and the values its hash covers (org_id, indicator, value, num, den), in the stored order; the "+
			"SHA-256 of their JSON array, written compactly, is the hash. 404 when the day has no snapshot."),
		func(ctx context.Context, in *statsDayIn) (*statsDayOut, error) {
			return answer(h, ctx, func(d stats.SnapshotDetail) *statsDayOut { return &statsDayOut{Body: d} })(st.Day(ctx, in.Day))
		})
}
