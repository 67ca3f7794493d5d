package deid

import (
	"testing"

	"dataport/internal/classify"
	"github.com/google/go-cmp/cmp"
)

// TestPresetOpenPublic: the "open to the public" preset masks names,
// hides phones, removes identity numbers and bands ages, and the profile
// applies as such to a table.
func TestPresetOpenPublic(t *testing.T) {
	cols := []PresetColumn{{Name: "name", Type: classify.PersonName}, {Name: "phone", Type: classify.Mobile},
		{Name: "id_no", Type: classify.ResidentID}, {Name: "age", Age: true}, {Name: "district"}}
	p, err := PresetProfile(PresetOpenPublic, cols)
	if err != nil {
		t.Fatal(err)
	}
	tbl := Table{Header: []string{"name", "phone", "id_no", "age", "district"},
		Rows: [][]string{{"王建国", "13912345678", "110101199003071234", "34", "东城区"}, {"李秀英", "13811112222", "110102198512120021", "41", "西城区"}}}
	out, _, err := Anonymize(tbl, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := Table{Header: []string{"name", "phone", "age", "district"},
		Rows: [][]string{{"王**", "139********", "[30, 40)", "东城区"}, {"李**", "138********", "[40, 50)", "西城区"}}}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("open to the public (-want +got):\n%s", diff)
	}
	if _, err := PresetProfile("nope", cols); err == nil {
		t.Error("an unknown preset was made")
	}
	share, _ := PresetProfile(PresetShareGov, cols)
	if diff := cmp.Diff(map[string]ColumnOp{"id_no": {Op: OpMask, KeepFirst: 6, KeepLast: 4}}, share.Columns); diff != "" {
		t.Errorf("sharing keeps names and phones, masks ID numbers (-want +got):\n%s", diff)
	}
}
