package portal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// NewsKind says whether an item is news (新闻动态) or a notice (通知公告).
type NewsKind string

// News kinds.
const (
	KindNews   NewsKind = "news"
	KindNotice NewsKind = "notice"
)

// NewsKinds lists every kind.
var NewsKinds = []NewsKind{KindNews, KindNotice}

// News is one published item. Its body is plain text; blank lines part
// its paragraphs.
type News struct {
	ID          string    `json:"id"`
	Kind        NewsKind  `json:"kind" enum:"news,notice"`
	Title       string    `json:"title"`
	Body        string    `json:"body"`
	PublishedAt time.Time `json:"published_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Paragraphs splits the body at blank lines.
func (n News) Paragraphs() []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(n.Body, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// NewsInput is what the platform staff write.
type NewsInput struct {
	Kind  NewsKind `json:"kind" enum:"news,notice"`
	Title string   `json:"title" maxLength:"200"`
	Body  string   `json:"body" maxLength:"20000"`
}

func (in *NewsInput) check() error {
	in.Title, in.Body = strings.TrimSpace(in.Title), strings.TrimSpace(in.Body)
	var errs validate.Errors
	validate.OneOf(&errs, "kind", in.Kind, NewsKinds...)
	errs.Required("title", in.Title)
	errs.MaxLen("title", in.Title, 200)
	errs.Required("body", in.Body)
	errs.MaxLen("body", in.Body, 20000)
	return errs.Err()
}

// PublishNews publishes an item at once (platform operators and sysadmins).
func (s *Service) PublishNews(ctx context.Context, actor identity.Principal, in NewsInput) (News, error) {
	if err := staffOnly(actor); err != nil {
		return News{}, err
	}
	if err := in.check(); err != nil {
		return News{}, err
	}
	n := News{ID: store.NewID(), Kind: in.Kind, Title: in.Title, Body: in.Body}
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		n.PublishedAt, n.UpdatedAt = tx.Now(), tx.Now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO portal_news (id, kind, title, body, author_user_id, published_at, updated_at)
			VALUES ($1,$2,$3,$4,$5,$6,$6)`, n.ID, string(n.Kind), n.Title, n.Body, actor.UserID, store.TS(n.PublishedAt)); err != nil {
			return fmt.Errorf("portal: news: %w", err)
		}
		return emitNews(ctx, tx, actor, n, "published")
	})
	return n, err
}

// UpdateNews replaces item id's kind, title and body (platform staff).
func (s *Service) UpdateNews(ctx context.Context, actor identity.Principal, id string, in NewsInput) (News, error) {
	if err := staffOnly(actor); err != nil {
		return News{}, err
	}
	if err := in.check(); err != nil {
		return News{}, err
	}
	var n News
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if n, err = readNews(ctx, tx, id); err != nil {
			return err
		}
		n.Kind, n.Title, n.Body, n.UpdatedAt = in.Kind, in.Title, in.Body, tx.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE portal_news SET kind = $1, title = $2, body = $3, updated_at = $4 WHERE id = $5`,
			string(n.Kind), n.Title, n.Body, store.TS(n.UpdatedAt), n.ID); err != nil {
			return err
		}
		return emitNews(ctx, tx, actor, n, "updated")
	})
	return n, err
}

// WithdrawNews takes item id off the site (platform staff).
func (s *Service) WithdrawNews(ctx context.Context, actor identity.Principal, id string) error {
	if err := staffOnly(actor); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		n, err := readNews(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE portal_news SET withdrawn_at = $1 WHERE id = $2`, store.TS(tx.Now()), n.ID); err != nil {
			return err
		}
		return emitNews(ctx, tx, actor, n, "withdrawn")
	})
}

func staffOnly(p identity.Principal) error {
	if p.IsAnonymous() {
		return identity.ErrUnauthenticated
	}
	if !IsStaff(p) {
		return identity.ErrForbidden
	}
	return nil
}

func emitNews(ctx context.Context, tx *store.Tx, actor identity.Principal, n News, what string) error {
	return tx.Emit(ctx, store.Event{Type: "news." + what, ActorUserID: actor.UserID, SubjectKind: "news", SubjectID: n.ID},
		map[string]any{"kind": n.Kind, "title_sha256": store.SHA256Hex(n.Title), "body_sha256": store.SHA256Hex(n.Body)})
}

const newsColumns = `id, kind, title, body, published_at, updated_at`

func scanNews(row interface{ Scan(...any) error }) (News, error) {
	var n News
	err := row.Scan(&n.ID, &n.Kind, &n.Title, &n.Body, store.ScanTime(&n.PublishedAt), store.ScanTime(&n.UpdatedAt))
	return n, err
}

// readNews reads a published item that has not been withdrawn.
func readNews(ctx context.Context, q store.Querier, id string) (News, error) {
	n, err := scanNews(q.QueryRowContext(ctx, `SELECT `+newsColumns+` FROM portal_news WHERE id = $1 AND withdrawn_at IS NULL`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return n, notFound("news item", id)
	}
	return n, err
}

// NewsItem returns published item id.
func (s *Service) NewsItem(ctx context.Context, id string) (News, error) {
	return readNews(ctx, s.db, id)
}

// NewsList lists published items of kind ("" both), newest first, a page at a time.
func (s *Service) NewsList(ctx context.Context, kind NewsKind, n int, cur string) ([]News, string, error) {
	from, err := after(cur)
	if err != nil {
		return nil, "", err
	}
	n = limit(n)
	rows, err := s.db.QueryContext(ctx, `SELECT `+newsColumns+` FROM portal_news WHERE withdrawn_at IS NULL AND ($1 = '' OR kind = $1)
		AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3`, string(kind), from, n+1)
	if err != nil {
		return nil, "", fmt.Errorf("portal: news: %w", err)
	}
	defer rows.Close()
	out := []News{}
	for rows.Next() {
		item, err := scanNews(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, item)
	}
	out, next := page(out, n, func(item News) string { return item.ID })
	return out, next, rows.Err()
}
