package catalog_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"github.com/google/go-cmp/cmp"
)

// listFixture holds resources of two institutions in every status.
type listFixture struct {
	*fixture
	a1, a2, a3, a4, a5 catalog.Resource // 交通委: published, published, draft, submitted, retired
	b1, b2, b3, b4     catalog.Resource // 生态环境局: published, returned, draft, published
}

func newListFixture(t *testing.T, db *store.DB) *listFixture {
	t.Helper()
	f := &listFixture{fixture: newFixture(t, db)}
	a, b := f.orgA.ID, f.orgB.ID
	// entry describes a resource in words of its own, so that a search
	// matches only the resources it names.
	entry := func(title, en string, keywords []string, more ...func(in *catalog.Input)) catalog.Input {
		return inputWith(func(in *catalog.Input) {
			in.TitleZh, in.TitleEn, in.DescriptionZh, in.Keywords = title, en, "数据说明："+title, keywords
			for _, m := range more {
				m(in)
			}
		})
	}
	ecology := func(in *catalog.Input) { in.Subject, in.Industry = "09", "N" }
	f.a1 = f.resource(t, a, validInput(), catalog.StatusPublished)
	f.a2 = f.resource(t, a, entry("地铁站点客流", "Subway Station Ridership", []string{"地铁", "客流量"}, func(in *catalog.Input) {
		in.OpenType, in.OpenBasis = catalog.OpenConditional, "经申请向科研机构开放"
	}), catalog.StatusPublished)
	f.a3 = f.resource(t, a, entry("公交站牌位置", "Bus Stop Locations", nil), catalog.StatusDraft)
	f.a4 = f.resource(t, a, entry("出租车运营数据", "Taxi Operations", []string{"出租车"}), catalog.StatusSubmitted)
	f.a5 = f.resource(t, a, entry("共享单车停放点", "Bike Parking", []string{"单车"}), catalog.StatusRetired)
	f.b1 = f.resource(t, b, entry("空气质量监测", "Air Quality Monitoring", []string{"空气"}, ecology, func(in *catalog.Input) {
		in.ShareType, in.ShareBasis = catalog.ShareConditional, "仅限政务用途"
		in.OpenType, in.OpenBasis = catalog.OpenConditional, "经申请开放"
	}), catalog.StatusPublished)
	f.b2 = f.resource(t, b, entry("水质监测", "Water Quality Monitoring", []string{"水质"}, ecology), catalog.StatusReturned)
	f.b3 = f.resource(t, b, entry("噪声监测", "Noise Monitoring", nil, ecology), catalog.StatusDraft)
	f.b4 = f.resource(t, b, entry("重点排污单位名录", "Key Polluters", []string{"排污"}, ecology, func(in *catalog.Input) {
		in.ShareType, in.ShareBasis, in.OpenType, in.OpenBasis = catalog.ShareNone, "涉及执法", catalog.OpenNone, "涉及执法"
		in.Classification, in.Level = catalog.ClassImportant, 3
	}), catalog.StatusPublished)
	return f
}

func TestListFilters(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newListFixture(t, db)
		ctx := context.Background()
		published := []catalog.Resource{f.a1, f.a2, f.a5, f.b1, f.b4}
		tests := []struct {
			name   string
			actor  identity.Principal
			filter catalog.Filter
			want   []string
		}{
			{"anonymous sees published and retired", identity.Anonymous, catalog.Filter{}, newestFirst(published...)},
			{"editor of another institution sees the same", f.editorB, catalog.Filter{OrganizationID: f.orgA.ID}, newestFirst(f.a1, f.a2, f.a5)},
			{"editor sees the institution's work in progress", f.editorA, catalog.Filter{}, newestFirst(append(published, f.a3, f.a4)...)},
			{"a plain member sees what the public sees", f.memberA, catalog.Filter{}, newestFirst(published...)},
			{"regulator sees what is under review", f.regulator, catalog.Filter{}, newestFirst(append(published, f.a4, f.b2)...)},
			{"sysadmin sees everything", f.sysadmin, catalog.Filter{}, newestFirst(f.a1, f.a2, f.a3, f.a4, f.a5, f.b1, f.b2, f.b3, f.b4)},
			{"organization", identity.Anonymous, catalog.Filter{OrganizationID: f.orgB.ID}, newestFirst(f.b1, f.b4)},
			{"status published", identity.Anonymous, catalog.Filter{Status: catalog.StatusPublished}, newestFirst(f.a1, f.a2, f.b1, f.b4)},
			{"status retired", identity.Anonymous, catalog.Filter{Status: catalog.StatusRetired}, newestFirst(f.a5)},
			{"anonymous asking for drafts", identity.Anonymous, catalog.Filter{Status: catalog.StatusDraft}, []string{}},
			{"regulator asking for drafts", f.regulator, catalog.Filter{Status: catalog.StatusDraft}, []string{}},
			{"sysadmin asking for drafts", f.sysadmin, catalog.Filter{Status: catalog.StatusDraft}, newestFirst(f.a3, f.b3)},
			{"share type conditional", identity.Anonymous, catalog.Filter{ShareType: catalog.ShareConditional}, newestFirst(f.b1)},
			{"share type none", identity.Anonymous, catalog.Filter{ShareType: catalog.ShareNone}, newestFirst(f.b4)},
			{"open type conditional", identity.Anonymous, catalog.Filter{OpenType: catalog.OpenConditional}, newestFirst(f.a2, f.b1)},
			{"open type unconditional", identity.Anonymous, catalog.Filter{OpenType: catalog.OpenUnconditional}, newestFirst(f.a1, f.a5)},
			{"subject", identity.Anonymous, catalog.Filter{Subject: "09"}, newestFirst(f.b1, f.b4)},
			{"classification", identity.Anonymous, catalog.Filter{Classification: catalog.ClassImportant}, newestFirst(f.b4)},
			{"two filters", identity.Anonymous, catalog.Filter{OrganizationID: f.orgB.ID, OpenType: catalog.OpenNone}, newestFirst(f.b4)},
			{"q: Chinese title substring", identity.Anonymous, catalog.Filter{Q: "公交"}, newestFirst(f.a1)},
			{"q: Chinese title substring, with the draft", f.editorA, catalog.Filter{Q: "公交"}, newestFirst(f.a1, f.a3)},
			{"q: middle of a Chinese title", identity.Anonymous, catalog.Filter{Q: "质量监"}, newestFirst(f.b1)},
			{"q: Chinese, several", f.sysadmin, catalog.Filter{Q: "监测"}, newestFirst(f.b1, f.b2, f.b3)},
			{"q: English lower case", identity.Anonymous, catalog.Filter{Q: "bus route"}, newestFirst(f.a1)},
			{"q: English upper case", identity.Anonymous, catalog.Filter{Q: "SUBWAY"}, newestFirst(f.a2)},
			{"q: English mixed case", f.sysadmin, catalog.Filter{Q: "qUaLiTy"}, newestFirst(f.b1, f.b2)},
			{"q: surrounding spaces", identity.Anonymous, catalog.Filter{Q: "  Bike  "}, newestFirst(f.a5)},
			{"q: keyword", identity.Anonymous, catalog.Filter{Q: "客流量"}, newestFirst(f.a2)},
			{"q: catalog code", identity.Anonymous, catalog.Filter{Q: f.b4.Code}, newestFirst(f.b4)},
			{"q and filter", f.sysadmin, catalog.Filter{Q: "监测", Status: catalog.StatusPublished}, newestFirst(f.b1)},
			{"q: no match", identity.Anonymous, catalog.Filter{Q: "不存在的数据"}, []string{}},
			{"q: percent is literal", identity.Anonymous, catalog.Filter{Q: "%"}, []string{}},
			{"q: underscore is literal", identity.Anonymous, catalog.Filter{Q: "_"}, []string{}},
			{"q: backslash is literal", identity.Anonymous, catalog.Filter{Q: `\`}, []string{}},
			{"q: quote", identity.Anonymous, catalog.Filter{Q: `'公交"`}, []string{}},
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				page, err := f.cat.List(ctx, test.actor, test.filter)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(test.want, idsOf(page.Items)); diff != "" {
					t.Errorf("listed ids (-want +got):\n%s", diff)
				}
				if page.NextCursor != "" {
					t.Errorf("one short page has a next cursor %q", page.NextCursor)
				}
			})
		}
	})
}

func TestListItemsEqualGet(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newListFixture(t, db)
		ctx := context.Background()
		page, err := f.cat.List(ctx, f.sysadmin, catalog.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Items {
			if diff := cmp.Diff(f.get(t, r.ID), r); diff != "" {
				t.Errorf("listed %s differs from Get (-get +list):\n%s", r.Code, diff)
			}
		}
		counts, err := f.cat.PublishedCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := catalog.Counts{Published: 4, Organizations: 2, Items: 4 * len(validInput().Items), OpenUncond: 1, OpenCond: 2}
		if diff := cmp.Diff(want, counts); diff != "" {
			t.Errorf("published counts (-want +got):\n%s", diff)
		}
	})
}

func TestListPaging(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newListFixture(t, db)
		ctx := context.Background()
		for i := range 23 {
			org, status := f.orgA.ID, catalog.StatusPublished
			if i%2 == 1 {
				org = f.orgB.ID
			}
			if i%5 == 0 {
				status = catalog.StatusDraft
			}
			f.resource(t, org, inputWith(func(in *catalog.Input) { in.TitleZh = fmt.Sprintf("分页测试 %02d", i) }), status)
		}
		all := func(actor identity.Principal, filter catalog.Filter) []string {
			filter.Limit = 1000
			page, err := f.cat.List(ctx, actor, filter)
			if err != nil {
				t.Fatal(err)
			}
			return idsOf(page.Items)
		}
		tests := []struct {
			name   string
			actor  identity.Principal
			filter catalog.Filter
		}{
			{"anonymous, 5 a page", identity.Anonymous, catalog.Filter{Limit: 5}},
			{"anonymous, 1 a page", identity.Anonymous, catalog.Filter{Limit: 1}},
			{"sysadmin, 7 a page", f.sysadmin, catalog.Filter{Limit: 7}},
			{"member, 4 a page", f.memberA, catalog.Filter{Limit: 4}},
			{"filtered by institution, 3 a page", identity.Anonymous, catalog.Filter{OrganizationID: f.orgB.ID, Limit: 3}},
			{"search, 2 a page", f.sysadmin, catalog.Filter{Q: "分页", Limit: 2}},
			{"default page size", identity.Anonymous, catalog.Filter{}},
			{"page size equal to the total", identity.Anonymous, catalog.Filter{Limit: 23}},
			{"page size one under the total", identity.Anonymous, catalog.Filter{Limit: 22}},
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				want := all(test.actor, test.filter)
				limit := test.filter.Limit
				if limit == 0 {
					limit = 20
				}
				var got []string
				filter := test.filter
				for pages := 1; ; pages++ {
					page, err := f.cat.List(ctx, test.actor, filter)
					if err != nil {
						t.Fatal(err)
					}
					if len(page.Items) > limit {
						t.Fatalf("page %d has %d items, limit %d", pages, len(page.Items), limit)
					}
					got = append(got, idsOf(page.Items)...)
					if page.NextCursor == "" {
						break
					}
					if len(page.Items) != limit {
						t.Errorf("page %d has %d items and a next cursor, want a full page of %d", pages, len(page.Items), limit)
					}
					if pages > len(want)+1 {
						t.Fatalf("still paging after %d pages", pages)
					}
					filter.Cursor = page.NextCursor
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("ids over all pages (-want +got):\n%s", diff)
				}
			})
		}
		if got := len(all(identity.Anonymous, catalog.Filter{})); got != 5+18 {
			t.Errorf("anonymous sees %d resources, want %d", got, 5+18)
		}
		if got := all(f.sysadmin, catalog.Filter{}); !isNewestFirst(got) || len(got) != 9+23 {
			t.Errorf("sysadmin list is not every resource in id-descending order: %v", got)
		}
		page, err := f.cat.List(ctx, f.sysadmin, catalog.Filter{Limit: 500})
		if err != nil || len(page.Items) != 9+23 {
			t.Errorf("Limit 500: %d items, %v", len(page.Items), err)
		}
	})
}

func isNewestFirst(ids []string) bool {
	for i := 1; i < len(ids); i++ {
		if ids[i] >= ids[i-1] {
			return false
		}
	}
	return true
}

func TestListCapsPageSize(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		for range 201 {
			f.resource(t, f.orgA.ID, validInput(), catalog.StatusDraft)
		}
		page, err := f.cat.List(ctx, f.editorA, catalog.Filter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 200 || page.NextCursor == "" {
			t.Errorf("Limit 1000 gave %d items (cursor %q), want 200 and a next cursor", len(page.Items), page.NextCursor)
		}
	})
}

func TestListBadCursor(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		tests := []struct{ name, cursor string }{
			{"not base64", "not a cursor!"},
			{"too short", base64.RawURLEncoding.EncodeToString([]byte("0192"))},
			{"padded base64", base64.URLEncoding.EncodeToString([]byte("x"))},
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				page, err := f.cat.List(ctx, identity.Anonymous, catalog.Filter{Cursor: test.cursor})
				if !errors.Is(err, catalog.ErrBadCursor) {
					t.Errorf("List(cursor %q) = %d items, error %v; want ErrBadCursor", test.cursor, len(page.Items), err)
				}
			})
		}
	})
}
