// Package datastoretest holds the bus-station table that the tests of the
// datastore and of the surfaces over it (CKAN's DataStore API) load and query.
package datastoretest

import "dataport/internal/catalog"

// StationItems describe bus stations: a key, a name, a district code, a
// count, a date and a flag.
func StationItems() []catalog.Item {
	return []catalog.Item{
		{Name: "station_id", LabelZh: "站点编号", Type: catalog.TypeText, Required: true, Key: true},
		{Name: "name", LabelZh: "站点名称", Type: catalog.TypeText, Required: true},
		{Name: "district", LabelZh: "所属区县", Type: catalog.TypeCode, CodeList: []catalog.Code{{Code: "110101", Label: "东城区"}, {Code: "110102", Label: "西城区"}}},
		{Name: "lines", LabelZh: "线路数", Type: catalog.TypeInteger},
		{Name: "opened", LabelZh: "启用日期", Type: catalog.TypeDate},
		{Name: "accessible", LabelZh: "无障碍", Type: catalog.TypeBoolean},
	}
}

// StationsCSV holds four stations for StationItems, headed by the items'
// Chinese labels, with districts by code and by label and empty cells.
const StationsCSV = "站点编号,站点名称,所属区县,线路数,启用日期,无障碍\n" +
	"S001,朝阳门,东城区,5,2020-01-02,是\n" +
	"S002,西单,110102,12,2019-05-01,否\n" +
	"S003,东四,东城区,,2021-07-15,是\n" +
	"S004,灵境胡同,西城区,3,,否\n"
