package identity

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"dataport/internal/store"
)

// ServerKey returns the 32-byte secret key called name, creating it on first
// use. It lives in the store, so every replica and every restart uses the
// same key; it is cached in memory after the first read. The web layer
// derives browser form tokens from its sessions with it (HMAC). The key
// never leaves the server and no event carries it.
func (s *Service) ServerKey(ctx context.Context, name string) ([]byte, error) {
	if k, ok := s.keys.Load(name); ok {
		return k.([]byte), nil
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	var stored string
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO server_keys (name, secret, created_at) VALUES ($1,$2,$3) ON CONFLICT (name) DO NOTHING`,
			name, hex.EncodeToString(fresh), store.TS(tx.Now()))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			err := tx.Emit(ctx, store.Event{Type: "server_key.created", ActorUserID: System.UserID, SubjectKind: "server_key", SubjectID: name}, nil)
			if err != nil {
				return err
			}
		}
		return tx.QueryRowContext(ctx, `SELECT secret FROM server_keys WHERE name = $1`, name).Scan(&stored)
	})
	if err != nil {
		return nil, fmt.Errorf("identity: server key %s: %w", name, err)
	}
	key, err := hex.DecodeString(stored)
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("identity: server key %s is damaged in the store", name)
	}
	s.keys.Store(name, key)
	return key, nil
}
