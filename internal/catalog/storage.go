package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"dataport/internal/store"
)

const resourceColumns = `id, code, organization_id, title_zh, title_en, description_zh, description_en, subject, industry,
	keywords, formats, items, update_frequency, share_type, share_basis, open_type, open_basis, classification, level,
	personal_info, source_system, contact_name, contact_phone, contact_email, status, review_comment, version,
	created_by, created_at, updated_at, published_at`

func scanResource(row interface{ Scan(...any) error }) (Resource, error) {
	var r Resource
	var keywords, formats, items []byte
	var published time.Time
	err := row.Scan(&r.ID, &r.Code, &r.OrganizationID, &r.TitleZh, &r.TitleEn, &r.DescriptionZh, &r.DescriptionEn,
		&r.Subject, &r.Industry, &keywords, &formats, &items, &r.UpdateFrequency, &r.ShareType, &r.ShareBasis,
		&r.OpenType, &r.OpenBasis, &r.Classification, &r.Level, &r.PersonalInfo, &r.SourceSystem, &r.ContactName,
		&r.ContactPhone, &r.ContactEmail, &r.Status, &r.ReviewComment, &r.Version, &r.CreatedBy,
		store.ScanTime(&r.CreatedAt), store.ScanTime(&r.UpdatedAt), store.ScanTime(&published))
	if err != nil {
		return r, err
	}
	if !published.IsZero() {
		r.PublishedAt = &published
	}
	for _, f := range []struct {
		raw []byte
		dst any
	}{{keywords, &r.Keywords}, {formats, &r.Formats}, {items, &r.Items}} {
		if err := json.Unmarshal(f.raw, f.dst); err != nil {
			return r, fmt.Errorf("catalog: resource %s: %w", r.ID, err)
		}
	}
	return r, nil
}

func getResource(ctx context.Context, q store.Querier, id string) (Resource, error) {
	return queryResource(ctx, q, `SELECT `+resourceColumns+` FROM resources WHERE id = $1`, id)
}

// lockResource reads a resource in tx and, on PostgreSQL, locks its row until
// tx ends, so that concurrent changes apply one after the other and each sees
// the status the previous one left. (SQLite transactions already take the
// write lock at BEGIN.)
func lockResource(ctx context.Context, tx *store.Tx, id string) (Resource, error) {
	q := `SELECT ` + resourceColumns + ` FROM resources WHERE id = $1`
	if tx.Dialect == store.Postgres {
		q += ` FOR UPDATE`
	}
	return queryResource(ctx, tx, q, id)
}

func queryResource(ctx context.Context, q store.Querier, query, id string) (Resource, error) {
	r, err := scanResource(q.QueryRowContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("resource %q: %w", id, store.ErrNotFound)
	}
	return r, err
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func insertResource(ctx context.Context, tx *store.Tx, r Resource) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO resources (`+resourceColumns+`, item_count) VALUES
		($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$29,$30,$31,$32)`,
		r.ID, r.Code, r.OrganizationID, r.TitleZh, r.TitleEn, r.DescriptionZh, r.DescriptionEn, r.Subject, r.Industry,
		jsonText(r.Keywords), jsonText(r.Formats), jsonText(r.Items), r.UpdateFrequency, r.ShareType, r.ShareBasis,
		r.OpenType, r.OpenBasis, r.Classification, r.Level, r.PersonalInfo, r.SourceSystem, r.ContactName,
		r.ContactPhone, r.ContactEmail, r.Status, r.ReviewComment, r.Version, r.CreatedBy,
		store.TS(r.CreatedAt), store.TS(r.UpdatedAt), store.NullTSPtr(r.PublishedAt), len(r.Items))
	if err != nil {
		return fmt.Errorf("catalog: insert resource: %w", err)
	}
	return nil
}

func updateResource(ctx context.Context, tx *store.Tx, r Resource) error {
	_, err := tx.ExecContext(ctx, `UPDATE resources SET title_zh=$2, title_en=$3, description_zh=$4, description_en=$5,
		industry=$6, keywords=$7, formats=$8, items=$9, update_frequency=$10, share_type=$11, share_basis=$12,
		open_type=$13, open_basis=$14, classification=$15, level=$16, personal_info=$17, source_system=$18,
		contact_name=$19, contact_phone=$20, contact_email=$21, status=$22, review_comment=$23, version=$24,
		updated_at=$25, published_at=$26, item_count=$27 WHERE id=$1`,
		r.ID, r.TitleZh, r.TitleEn, r.DescriptionZh, r.DescriptionEn, r.Industry, jsonText(r.Keywords),
		jsonText(r.Formats), jsonText(r.Items), r.UpdateFrequency, r.ShareType, r.ShareBasis, r.OpenType, r.OpenBasis,
		r.Classification, r.Level, r.PersonalInfo, r.SourceSystem, r.ContactName, r.ContactPhone, r.ContactEmail,
		r.Status, r.ReviewComment, r.Version, store.TS(r.UpdatedAt), store.NullTSPtr(r.PublishedAt), len(r.Items))
	if err != nil {
		return fmt.Errorf("catalog: update resource: %w", err)
	}
	return nil
}
