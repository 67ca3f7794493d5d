package ledger

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Key file names inside the key directory (<data dir>/keys).
const (
	privateKeyFile = "ledger.key" // note signer key, mode 0600
	publicKeyFile  = "ledger.pub" // note verifier key, one line
)

// keyPair is the checkpoint signing key with its verifier.
type keyPair struct {
	signer      note.Signer
	verifier    note.Verifier
	verifierKey string // "<origin>+<hash>+<base64 key>"
}

// loadOrCreateKey returns the key pair kept in dir. The first start creates
// it, named after origin or, when that is empty, after the origin derived
// from publicURL. Later starts keep the stored key and so the log's origin,
// even when the server moves; an explicit origin that differs is an error.
func loadOrCreateKey(dir, origin, publicURL string) (keyPair, error) {
	if origin != "" {
		if err := checkOrigin(origin); err != nil {
			return keyPair{}, err
		}
	}
	kp, err := loadKey(dir)
	switch {
	case err == nil && origin != "" && kp.signer.Name() != origin:
		return keyPair{}, fmt.Errorf("ledger: the key in %s signs for origin %q, not %q: a log keeps its origin for life",
			dir, kp.signer.Name(), origin)
	case !errors.Is(err, fs.ErrNotExist):
		return kp, err
	}
	if origin == "" {
		if origin, err = OriginFor(publicURL); err != nil {
			return keyPair{}, err
		}
	}
	return createKey(dir, origin)
}

// loadKey reads the key pair from dir; fs.ErrNotExist when there is none.
func loadKey(dir string) (keyPair, error) {
	raw, err := os.ReadFile(filepath.Join(dir, privateKeyFile))
	if err != nil {
		return keyPair{}, err
	}
	skey := strings.TrimSpace(string(raw))
	signer, err := note.NewSigner(skey)
	if err != nil {
		return keyPair{}, fmt.Errorf("ledger: signing key %s: %w", filepath.Join(dir, privateKeyFile), err)
	}
	vkey, err := verifierKeyOf(skey)
	if err != nil {
		return keyPair{}, err
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return keyPair{}, fmt.Errorf("ledger: verifier key: %w", err)
	}
	return keyPair{signer: signer, verifier: verifier, verifierKey: vkey}, nil
}

// LoadVerifier reads the ledger's verifier key from the key directory of a
// data dir, without needing (or creating) the private key.
func LoadVerifier(dataDir string) (note.Verifier, string, error) {
	dir := filepath.Join(dataDir, "keys")
	raw, err := os.ReadFile(filepath.Join(dir, publicKeyFile))
	if errors.Is(err, fs.ErrNotExist) {
		kp, kerr := loadKey(dir)
		if kerr != nil {
			return nil, "", fmt.Errorf("ledger: no verifier key in %s: %w", dir, kerr)
		}
		return kp.verifier, kp.verifierKey, nil
	}
	if err != nil {
		return nil, "", err
	}
	vkey := strings.TrimSpace(string(raw))
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, "", fmt.Errorf("ledger: verifier key %s: %w", filepath.Join(dir, publicKeyFile), err)
	}
	return v, vkey, nil
}

func createKey(dir, origin string) (keyPair, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return keyPair{}, fmt.Errorf("ledger: key dir: %w", err)
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return keyPair{}, fmt.Errorf("ledger: generate key for origin %q: %w", origin, err)
	}
	// The key is written whole to a file of its own, then linked under its
	// name, which fails when it exists: of replicas starting together on
	// one data dir, one creates the key and the others read it complete.
	tmp, err := os.CreateTemp(dir, privateKeyFile+".new-*")
	if err != nil {
		return keyPair{}, fmt.Errorf("ledger: create key: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(skey + "\n")
	if serr := tmp.Sync(); err == nil {
		err = serr
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return keyPair{}, fmt.Errorf("ledger: write key: %w", err)
	}
	if err := os.Link(tmp.Name(), filepath.Join(dir, privateKeyFile)); errors.Is(err, fs.ErrExist) {
		return loadKey(dir)
	} else if err != nil {
		return keyPair{}, fmt.Errorf("ledger: create key: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, publicKeyFile), []byte(vkey+"\n"), 0o644); err != nil {
		return keyPair{}, fmt.Errorf("ledger: write verifier key: %w", err)
	}
	return loadKey(dir)
}

// verifierKeyOf derives the verifier key from an Ed25519 signer key
// ("PRIVATE+KEY+<name>+<hash>+<base64 alg||seed>").
func verifierKeyOf(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5) // the base64 key may itself hold "+"
	if len(parts) != 5 {
		return "", errors.New("ledger: malformed signing key")
	}
	key, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(key) != 1+ed25519.SeedSize || key[0] != 1 {
		return "", errors.New("ledger: signing key is not an Ed25519 key")
	}
	pub := ed25519.NewKeyFromSeed(key[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}

// OriginFor derives a checkpoint origin from the server's public URL: the URL
// without its scheme, followed by "/ledger" (C2SP tlog-checkpoint recommends
// a schema-less URL). "https://data.example.gov.cn" gives
// "data.example.gov.cn/ledger".
func OriginFor(publicURL string) (string, error) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("ledger: cannot derive an origin from public URL %q; set one explicitly", publicURL)
	}
	origin := u.Host + strings.TrimSuffix(u.Path, "/") + "/ledger"
	if err := checkOrigin(origin); err != nil {
		return "", err
	}
	return origin, nil
}

func checkOrigin(origin string) error {
	if origin == "" || strings.ContainsAny(origin, "+ \t\r\n") {
		return fmt.Errorf("ledger: origin %q must be non-empty, without spaces or '+'", origin)
	}
	return nil
}
