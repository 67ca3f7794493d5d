package storetest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
)

// StreamingReplica starts a private PostgreSQL primary and a hot standby
// streaming from it (initdb, pg_basebackup -R, pg_ctl, run as the postgres
// user), logging every statement the standby runs to standbyLog. Both stop
// and their files go when t ends. It skips the test in -short mode, when
// not run as root, or when the PostgreSQL server binaries are missing.
func StreamingReplica(t testing.TB) (primaryDSN, standbyDSN, standbyLog string) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts two PostgreSQL servers")
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb)")
	}
	bin := filepath.Dir(bins[len(bins)-1])
	pg, err := user.Lookup("postgres")
	if os.Geteuid() != 0 || err != nil {
		t.Skip("needs root and a postgres user to run a private PostgreSQL cluster")
	}
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)
	dir, err := os.MkdirTemp("", "dataport-standby-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	command := func(name string, args ...string) *exec.Cmd {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(bin, name)}, args...)...)
	}
	run := func(name string, args ...string) {
		t.Helper()
		if out, err := command(name, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	primary, standby := filepath.Join(dir, "primary"), filepath.Join(dir, "standby")
	pport, sport := freePort(t), freePort(t)
	run("initdb", "-D", primary, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	common := "-k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60 "
	run("pg_ctl", "-D", primary, "-l", primary+".log", "-w", "-o", fmt.Sprintf("-p %d %s-c wal_level=replica -c max_wal_senders=4", pport, common), "start")
	t.Cleanup(func() { command("pg_ctl", "-D", primary, "-m", "immediate", "stop").Run() })
	run("pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(pport), "-U", "postgres", "-D", standby, "-R", "-X", "stream", "-c", "fast")
	standbyLog = standby + ".log"
	run("pg_ctl", "-D", standby, "-l", standbyLog, "-w", "-o", fmt.Sprintf("-p %d %s-c hot_standby=on -c log_statement=all", sport, common), "start")
	t.Cleanup(func() { command("pg_ctl", "-D", standby, "-m", "immediate", "stop").Run() })
	dsn := "postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable"
	return fmt.Sprintf(dsn, pport), fmt.Sprintf(dsn, sport), standbyLog
}

// freePort returns a TCP port on loopback nobody listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
