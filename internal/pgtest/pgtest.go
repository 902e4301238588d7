// Package pgtest runs a private PostgreSQL server for tests: initdb into a
// temporary directory, a server on a loopback port, stopped when the test
// ends. It uses Debian's PostgreSQL 15 server binaries; as root it runs
// them as the postgres user. A test that needs PostgreSQL fails, with an
// install hint, when the binaries are missing.
package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running PostgreSQL server.
type Server struct {
	Dir  string
	Port int
	bin  string
	asPG bool
}

// binDir finds the server binaries.
func binDir() (string, error) {
	if d := os.Getenv("GONGKAI_PG_BIN"); d != "" {
		return d, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(matches) == 0 {
		return "", fmt.Errorf("PostgreSQL server binaries not found: install them with `apt-get install -y postgresql` " +
			"(or set GONGKAI_PG_BIN to the directory holding initdb and pg_ctl)")
	}
	return filepath.Dir(matches[len(matches)-1]), nil
}

// Start initialises and starts a server for the test.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := binDir()
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{bin: bin, Port: freePort(tb)}
	s.asPG = os.Geteuid() == 0
	dir, err := os.MkdirTemp("", "gongkai-pg-")
	if err != nil {
		tb.Fatal(err)
	}
	s.Dir = dir
	tb.Cleanup(func() { s.Stop(tb); os.RemoveAll(dir) })
	if s.asPG {
		u, err := user.Lookup("postgres")
		if err != nil {
			tb.Fatalf("running as root needs the postgres user (apt-get install -y postgresql): %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			tb.Fatal(err)
		}
	}
	if out, err := s.run("initdb", "-D", filepath.Join(dir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"); err != nil {
		tb.Fatalf("initdb: %v\n%s", err, out)
	}
	conf := fmt.Sprintf("\nlisten_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\nfsync = on\nmax_connections = 100\n", s.Port, dir)
	f, err := os.OpenFile(filepath.Join(dir, "data", "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	f.WriteString(conf)
	f.Close()
	s.StartAgain(tb)
	return s
}

func (s *Server) run(tool string, args ...string) ([]byte, error) {
	path := filepath.Join(s.bin, tool)
	var cmd *exec.Cmd
	if s.asPG {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = s.Dir
	return cmd.CombinedOutput()
}

// StartAgain starts the server (after Stop) and waits until it accepts
// connections.
func (s *Server) StartAgain(tb testing.TB) {
	tb.Helper()
	if out, err := s.run("pg_ctl", "-D", filepath.Join(s.Dir, "data"), "-l", filepath.Join(s.Dir, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.Dir, "log"))
		tb.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c, err := pgx.Connect(context.Background(), s.DSN("postgres"))
		if err == nil {
			c.Close(context.Background())
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("postgres did not accept connections")
}

// Stop stops the server at once (fast shutdown); safe to call twice.
func (s *Server) Stop(tb testing.TB) {
	s.run("pg_ctl", "-D", filepath.Join(s.Dir, "data"), "-m", "fast", "-w", "stop")
}

var dbCounter atomic.Int64

// DSN returns the DSN of a database on the server.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// NewDatabase creates an empty database and returns its DSN.
func (s *Server) NewDatabase(tb testing.TB) string {
	tb.Helper()
	name := strings.ToLower(strings.NewReplacer("/", "_", "-", "_", " ", "_").Replace(tb.Name()))
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	name = fmt.Sprintf("t%d_%s", dbCounter.Add(1), name)
	c, err := pgx.Connect(context.Background(), s.DSN("postgres"))
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(context.Background(), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatal(err)
	}
	return s.DSN(name)
}

func freePort(tb testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
