package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// seededTable is one resource of the seeded demo with its rows as served.
type seededTable struct {
	res  catalog.Resource
	cols map[string]int
	rows [][]string
}

func (t seededTable) get(row []string, name string) string {
	if i, ok := t.cols[name]; ok {
		return row[i]
	}
	return ""
}

func (t seededTable) num(row []string, name string) float64 {
	v, _ := strconv.ParseFloat(t.get(row, name), 64)
	return v
}

// seedDemoTables seeds the demo city on a real SQLite file and reads every
// loaded resource back through the datastore, as a visitor would.
func seedDemoTables(t *testing.T) []seededTable {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, store.SQLite)
	ids, cat := identity.NewService(db), catalog.NewService(db)
	if _, err := Seed(ctx, ids, cat); err != nil {
		t.Fatal(err)
	}
	ds := datastore.New(datastore.Config{DB: db, Catalog: cat, Access: access.NewService(db, cat)})
	if err := SeedRows(ctx, cat, ds); err != nil {
		t.Fatal(err)
	}
	var out []seededTable
	page, err := cat.List(ctx, identity.System, catalog.Filter{Status: catalog.StatusPublished, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range page.Items {
		res, err := ds.Search(ctx, identity.System, r.ID, "test", datastore.Query{Limit: 1000})
		if err != nil {
			continue // not loaded: closed resources have no rows
		}
		tab := seededTable{res: r, cols: map[string]int{}}
		for i, f := range res.Fields {
			tab.cols[f.ID] = i
		}
		for _, row := range res.Rows {
			rec := make([]string, len(row))
			for i, v := range row {
				if v != nil {
					rec[i] = fmt.Sprint(v)
				}
			}
			tab.rows = append(tab.rows, rec)
		}
		out = append(out, tab)
	}
	if len(out) < 30 {
		t.Fatalf("only %d demo resources have rows", len(out))
	}
	return out
}

// TestDemoCityIsPlausible checks the demo city against rules a city's staff
// would apply at a glance: no placeholder values, codes from their tables,
// valid identifiers, coordinates inside the city, and figures that add up.
func TestDemoCityIsPlausible(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the whole demo city")
	}
	tables := seedDemoTables(t)
	placeholder := regexp.MustCompile(`^[A-Z]\d{6}$|名称\d+$|地址\d+$|公司\d+$|^机构名称`)
	byTitle := map[string]seededTable{}
	for _, tab := range tables {
		byTitle[tab.res.TitleZh] = tab
		codes := map[string]map[string]bool{}
		labelOf := map[string]string{}
		for _, it := range tab.res.Items {
			labelOf[it.Name] = it.LabelZh
			if it.Type == catalog.TypeCode {
				codes[it.Name] = map[string]bool{}
				for _, c := range it.CodeList {
					codes[it.Name][c.Code] = true
				}
			}
		}
		months := map[string]bool{}
		for n, row := range tab.rows {
			where := func(col string) string {
				return fmt.Sprintf("%s row %d %s=%q", tab.res.TitleZh, n+1, col, tab.get(row, col))
			}
			for col, i := range tab.cols {
				v := row[i]
				if v == "" || strings.HasPrefix(col, "_") {
					continue // empty, or the store's own row number
				}
				if placeholder.MatchString(v) || regexp.MustCompile(`^`+regexp.QuoteMeta(labelOf[col])+`\d+$`).MatchString(v) {
					t.Errorf("%s: a placeholder", where(col))
				}
				if set, ok := codes[col]; ok && !set[v] {
					t.Errorf("%s: not in the column's code table", where(col))
				}
				if strings.HasSuffix(col, "uscc") && identity.CheckUSCC(v) != nil {
					t.Errorf("%s: not a valid USCC", where(col))
				}
				if len(v) >= 7 && (strings.HasSuffix(col, "month") || col == "period") {
					months[v[:7]] = true
				}
			}
			if lon, lat := tab.num(row, "longitude"), tab.num(row, "latitude"); tab.get(row, "longitude") != "" &&
				(lon < cityBox.minLon || lon > cityBox.maxLon || lat < cityBox.minLat || lat > cityBox.maxLat) {
				t.Errorf("%s: (%v, %v) is outside the city", where("longitude"), lon, lat)
			}
			if d, addr := tab.get(row, "district"), tab.get(row, "address"); d != "" && addr != "" {
				if p := placeOf(d); strings.HasSuffix(addr[:min(len(addr), 9)], "区") && !strings.HasPrefix(addr, p.name) {
					t.Errorf("%s: the address is not in district %s", where("address"), p.name)
				}
			}
			for _, pair := range [][2]string{{"issued_on", "valid_to"}, {"licensed_on", "valid_to"}, {"listed_on", "removed_on"}, {"registered_on", "next_inspection"}} {
				from, to := tab.get(row, pair[0]), tab.get(row, pair[1])
				if from != "" && to != "" && to[:10] <= from[:10] {
					t.Errorf("%s: %s is not after %s %s", tab.res.TitleZh, pair[1], pair[0], from)
				}
			}
			if tab.get(row, "nursing_beds") != "" && tab.num(row, "nursing_beds") > tab.num(row, "beds") {
				t.Errorf("%s: more nursing beds than beds", where("nursing_beds"))
			}
		}
		if len(months) > 0 && len(months) < 6 && len(tab.rows) >= 50 {
			t.Errorf("%s: its history covers %d months; want it spread over months", tab.res.TitleZh, len(months))
		}
	}

	need := func(title string) seededTable {
		tab, ok := byTitle[title]
		if !ok || len(tab.rows) == 0 {
			t.Fatalf("the demo has no rows for %s", title)
		}
		return tab
	}
	air := need("空气质量小时监测数据")
	for _, row := range air.rows {
		conc := map[string]float64{"PM2.5": air.num(row, "pm25"), "PM10": air.num(row, "pm10"), "O3": air.num(row, "o3"), "NO2": air.num(row, "no2"), "CO": air.num(row, "co")}
		aqi, level, _ := aqiOf(conc)
		if got := int(air.num(row, "aqi")); got != aqi || got < 0 || got > 500 {
			t.Errorf("air quality at %s %s: AQI %d, the concentrations give %d (HJ 633)", air.get(row, "station_name"), air.get(row, "monitor_time"), got, aqi)
		}
		if air.get(row, "aqi_level") != strconv.Itoa(level) {
			t.Errorf("air quality: AQI %d has level %s, want %d", aqi, air.get(row, "aqi_level"), level)
		}
		if conc["PM10"] < conc["PM2.5"] {
			t.Errorf("air quality: PM10 %v below PM2.5 %v", conc["PM10"], conc["PM2.5"])
		}
	}
	accidents := need("道路交通事故统计")
	for _, row := range accidents.rows {
		a, d, i := accidents.num(row, "accidents"), accidents.num(row, "deaths"), accidents.num(row, "injuries")
		if d > a || i > 3*a || a <= 0 {
			t.Errorf("traffic accidents %s %s: %v accidents, %v deaths, %v injured", accidents.get(row, "stat_month"), accidents.get(row, "road_name"), a, d, i)
		}
	}
	beds := need("医院床位使用情况")
	for _, row := range beds.rows {
		approved, open, occupied := beds.num(row, "approved_beds"), beds.num(row, "open_beds"), beds.num(row, "occupied_beds")
		if occupied > open || open > approved || math.Abs(beds.num(row, "occupancy_rate")-occupied/open*100) > 0.01 {
			t.Errorf("beds of %s: approved %v, open %v, occupied %v, rate %v", beds.get(row, "hospital_name"), approved, open, occupied, beds.get(row, "occupancy_rate"))
		}
	}
	hospitals := need("医疗机构名录")
	for _, row := range hospitals.rows {
		if hospitals.get(row, "grade") == "31" && hospitals.num(row, "beds") < 500 {
			t.Errorf("%s: a grade-3A hospital with %s beds", hospitals.get(row, "name"), hospitals.get(row, "beds"))
		}
	}
	schools := need("中小学校名录")
	for _, row := range schools.rows {
		if per := schools.num(row, "student_count") / schools.num(row, "class_count"); per < 20 || per > 50 {
			t.Errorf("%s: %.0f pupils a class", schools.get(row, "school_name"), per)
		}
	}
	population := need("人口抽样调查汇总数据")
	shares, groups := map[string]float64{}, map[string]int{}
	for _, row := range population.rows {
		k := population.get(row, "survey_year") + " " + population.get(row, "district")
		shares[k] += population.num(row, "share")
		groups[k]++
	}
	for k, sum := range shares {
		if groups[k] == 6 && math.Abs(sum-100) > 0.1 { // three age groups by two sexes
			t.Errorf("population %s: shares sum to %.2f%%, want 100%%", k, sum)
		}
	}
	fitness := need("中小学生体质健康监测统计")
	for _, row := range fitness.rows {
		if fitness.num(row, "excellent_rate") > fitness.num(row, "pass_rate") {
			t.Errorf("fitness: excellent %s above pass %s", fitness.get(row, "excellent_rate"), fitness.get(row, "pass_rate"))
		}
	}
	// Dates of history lie before the end of the data.
	for _, tab := range tables {
		for _, row := range tab.rows {
			for _, col := range []string{"monitor_time", "stat_date", "reported_at"} {
				if v := tab.get(row, col); v != "" {
					if ts, err := time.Parse("2006-01-02", v[:10]); err != nil || ts.After(dataEnd) {
						t.Errorf("%s %s=%q: not a date of the past", tab.res.TitleZh, col, v)
					}
				}
			}
		}
	}
}

// TestDemoIdentityNumbersAreWellFormed checks the generator's identity
// numbers with the classifier's GB 11643 check (check digit, real birth
// date), which the generator does not share.
func TestDemoIdentityNumbersAreWellFormed(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range places {
		for range 50 {
			id := idCardNumber(r, p)
			if !strings.HasPrefix(id, p.code) || !classify.ValidResidentID(id) {
				t.Fatalf("%s: not a valid identity number registered in %s", id, p.name)
			}
		}
	}
}
