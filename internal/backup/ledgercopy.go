package backup

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// tesseraLocks are the POSIX log's own lock files (in its .state folder):
// integration, checkpoint publication and garbage collection each hold one
// while they change files. Holding all three freezes the log's files.
var tesseraLocks = []string{"treeState.lock", "publish.lock", "gcState.lock"}

// copyLedgerLocked brings the copy of the ledger in dst up to date while
// holding the log's locks, so the copy is one state of the log: its tree
// state, the tiles and bundles it needs, and a checkpoint it covers.
func copyLedgerLocked(dataDir, dst string) error {
	src := filepath.Join(dataDir, "ledger")
	if _, err := os.Stat(filepath.Join(src, ".state")); errors.Is(err, fs.ErrNotExist) {
		return syncDir(src, dst) // no log yet (or not a Tessera log): nothing to hold
	}
	for _, name := range tesseraLocks {
		unlock, err := lockFile(filepath.Join(src, ".state", name))
		if err != nil {
			return fmt.Errorf("backup: ledger lock %s: %w", name, err)
		}
		defer unlock()
	}
	return syncDir(src, dst)
}

// lockFile takes the fcntl write lock Tessera's posix driver takes on p,
// waiting for the holder. The file stays open until unlock: closing any
// descriptor of it in this process would release the lock, so the copy
// never opens lock files.
func lockFile(p string) (unlock func() error, err error) {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart}
	for {
		err = syscall.FcntlFlock(f.Fd(), syscall.F_SETLKW, &lk)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f.Close, nil
}

// syncDir makes dst a copy of the regular files under src (lock files
// aside): it copies files that are new or whose size or modification time
// changed, and removes copies of files that are gone. A src that does not
// exist leaves dst empty.
func syncDir(src, dst string) error {
	seen := map[string]bool{}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || !d.Type().IsRegular() || strings.HasSuffix(d.Name(), ".lock") {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		seen[rel] = true
		return copyIfChanged(p, filepath.Join(dst, rel))
	})
	if err != nil {
		return fmt.Errorf("backup: copy %s: %w", src, err)
	}
	return filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || d.IsDir() {
			return err
		}
		if rel, _ := filepath.Rel(dst, p); !seen[rel] {
			return os.Remove(p)
		}
		return nil
	})
}

// copyIfChanged copies src to dst unless dst already has src's size and
// modification time. A src that vanished is not an error.
func copyIfChanged(src, dst string) error {
	in, err := os.Open(src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	if old, err := os.Stat(dst); err == nil && old.Size() == st.Size() && old.ModTime().Equal(st.ModTime()) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, st.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chtimes(dst, st.ModTime(), st.ModTime())
}
