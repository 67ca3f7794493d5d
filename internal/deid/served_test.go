package deid

import (
	"testing"

	"dataport/internal/catalog"
)

func TestServedCellString(t *testing.T) {
	for in, want := range map[any]string{int64(13812345678): "13812345678", 12.5: "12.5", true: "true", "张伟": "张伟", nil: ""} {
		if got := cellString(in); got != want {
			t.Errorf("cellString(%#v) = %q, want %q", in, got, want)
		}
	}
}

func TestServedValuesKeepTheirTypeWhenTheyCan(t *testing.T) {
	for _, c := range []struct {
		t    catalog.ItemType
		out  string
		want any
	}{
		{catalog.TypeInteger, "100", int64(100)},            // top-coded, still a number
		{catalog.TypeInteger, "138****5678", "138****5678"}, // masked, now text
		{catalog.TypeDecimal, "12.5", 12.5},
		{catalog.TypeBoolean, "true", true},
		{catalog.TypeText, "张伟", "张伟"},
	} {
		if got := typed(c.t, c.out); got != c.want {
			t.Errorf("typed(%s, %q) = %#v, want %#v", c.t, c.out, got, c.want)
		}
	}
}
