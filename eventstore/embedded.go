package eventstore

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Users of the embedded server. Every connection authenticates; there is
// no anonymous user.
const (
	// GongkaiUser is gongkai's own user. It may connect only in-process
	// (its password is random, made at each start and never stored), so it
	// cannot be used through the listener.
	GongkaiUser = "gongkai"
	// ReaderUser may connect through the listener and read the streams:
	// stream info, direct get, ordered and ephemeral consumers. Its
	// password is in ReaderPasswordFile.
	ReaderUser = "reader"
	// AdminUser may do anything, in-process only, with a random password
	// made at each start. gongkai never uses it: it is for tests that play
	// an operator or an attacker holding the server (ConnectAdmin).
	AdminUser = "gongkai-admin"
	// ReaderPasswordFile is the default file, in the data directory, that
	// holds the reader's password.
	ReaderPasswordFile = "nats-reader.password"
	// GongkaiInboxPrefix is the inbox prefix of gongkai's own connections.
	// The reader may subscribe to _INBOX.> (its own replies), never to
	// this, so it cannot see gongkai's replies (consumer names, acks).
	GongkaiInboxPrefix = "_GONGKAI_INBOX"
)

// GongkaiDeny are the JetStream API subjects gongkai's own user may not
// publish to: it never updates, seals, purges or deletes a stream, deletes
// a message, takes or restores a snapshot, or moves a stream's peers. The
// same list is in docs/deploy.md for an external cluster.
var GongkaiDeny = []string{
	"$JS.API.STREAM.UPDATE.>",
	"$JS.API.STREAM.DELETE.>",
	"$JS.API.STREAM.PURGE.>",
	"$JS.API.STREAM.MSG.DELETE.>",
	"$JS.API.STREAM.SNAPSHOT.>",
	"$JS.API.STREAM.RESTORE.>",
	"$JS.API.STREAM.PEER.>",
}

// ReaderAllow are the only subjects the reader may publish to: account
// and stream info, stream names, getting messages (direct or through the
// stream leader), creating, reading from and asking about a consumer, and
// answering a push consumer's flow control and acknowledging its messages
// (which in the ledger's streams deletes nothing). It may subscribe only to
// _INBOX.>, where its replies and deliveries arrive.
var ReaderAllow = []string{
	"$JS.API.INFO",
	"$JS.API.STREAM.NAMES",
	"$JS.API.STREAM.LIST",
	"$JS.API.STREAM.INFO.*",
	"$JS.API.STREAM.MSG.GET.*",
	"$JS.API.DIRECT.GET.*",
	"$JS.API.DIRECT.GET.*.>",
	"$JS.API.CONSUMER.CREATE.*",
	"$JS.API.CONSUMER.CREATE.*.>",
	"$JS.API.CONSUMER.MSG.NEXT.*.*",
	"$JS.API.CONSUMER.INFO.*.*",
	"$JS.FC.>",
	"$JS.ACK.>",
}

// EmbeddedConfig configures an in-process NATS server with JetStream.
type EmbeddedConfig struct {
	// Dir is where JetStream keeps its files.
	Dir string
	// Listen is a host:port to accept network clients on; empty means no
	// listener at all (the process talks to the server in-process).
	Listen string
	// ReaderPasswordFile holds the password of ReaderUser: one line, at
	// least 16 characters, not readable by others. With Listen set and
	// the file missing, StartEmbedded writes a random one there with mode
	// 0600. Default Dir/nats-reader.password.
	ReaderPasswordFile string
	// TLSCert and TLSKey, both or neither, make the listener require TLS
	// with this certificate (PEM files). In-process connections stay plain.
	TLSCert, TLSKey string
	// NoSync turns off fsync on every write. Only benchmarks set it, to
	// measure what fsync costs; an acknowledged write may then be lost.
	NoSync bool
	// ConnOptions are more options for Conn, such as an error handler.
	ConnOptions []nats.Option
}

// Embedded is a running in-process NATS server and gongkai's connection to it.
type Embedded struct {
	Server *server.Server
	Conn   *nats.Conn
	// ReaderPasswordFile is the reader's password file, when there is a
	// listener; ReaderPasswordCreated says StartEmbedded wrote it.
	ReaderPasswordFile    string
	ReaderPasswordCreated bool

	password, adminPassword string // for Connect and ConnectAdmin
}

// StartEmbedded starts an in-process nats-server with JetStream file storage
// under cfg.Dir that fsyncs every write (sync_interval: always), and
// connects to it in-process as GongkaiUser. Every client must
// authenticate: GongkaiUser only in-process, ReaderUser (when there is a
// listener) with the password in cfg.ReaderPasswordFile.
func StartEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
	opts := &server.Options{
		ServerName: "gongkai-embedded",
		JetStream:  true,
		StoreDir:   cfg.Dir,
		SyncAlways: !cfg.NoSync,
		DontListen: cfg.Listen == "",
		NoSigs:     true,
		NoLog:      true,
	}
	e := &Embedded{password: rand.Text(), adminPassword: rand.Text()}
	inProcess := map[string]struct{}{connectionTypeInProcess: {}}
	opts.Users = []*server.User{{
		Username: GongkaiUser,
		Password: e.password,
		Permissions: &server.Permissions{
			Publish: &server.SubjectPermission{Allow: []string{">"}, Deny: GongkaiDeny},
		},
		AllowedConnectionTypes: inProcess,
	}, {
		Username:               AdminUser,
		Password:               e.adminPassword,
		AllowedConnectionTypes: inProcess,
	}}
	if cfg.Listen == "" && (cfg.TLSCert != "" || cfg.TLSKey != "") {
		return nil, errors.New("NATS TLS 需要 --nats-listen / NATS TLS certificate and key need --nats-listen")
	}
	if cfg.Listen != "" {
		host, port, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("nats listen address %q: %w", cfg.Listen, err)
		}
		opts.Host = host
		if opts.Port, err = strconv.Atoi(port); err != nil {
			return nil, fmt.Errorf("nats listen port %q: %w", port, err)
		}
		e.ReaderPasswordFile = cfg.ReaderPasswordFile
		if e.ReaderPasswordFile == "" {
			e.ReaderPasswordFile = filepath.Join(cfg.Dir, ReaderPasswordFile)
		}
		password, created, err := readerPassword(e.ReaderPasswordFile)
		if err != nil {
			return nil, err
		}
		e.ReaderPasswordCreated = created
		opts.Users = append(opts.Users, &server.User{
			Username: ReaderUser,
			Password: password,
			Permissions: &server.Permissions{
				Publish:   &server.SubjectPermission{Allow: ReaderAllow, Deny: ReaderDeny},
				Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}},
			},
		})
		if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
			return nil, errors.New("NATS TLS 证书和私钥须同时给出 / give both --nats-tls-cert and --nats-tls-key, or neither")
		}
		if cfg.TLSCert != "" {
			tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: cfg.TLSCert, KeyFile: cfg.TLSKey})
			if err != nil {
				return nil, fmt.Errorf("NATS TLS 证书无法使用 / NATS TLS certificate: %w", err)
			}
			opts.TLS, opts.TLSConfig, opts.TLSTimeout = true, tc, 2
		}
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("embedded nats: not ready after 30s")
	}
	e.Server = srv
	if e.Conn, err = e.Connect(append([]nats.Option{nats.Name("gongkai")}, cfg.ConnOptions...)...); err != nil {
		srv.Shutdown()
		return nil, fmt.Errorf("embedded nats connect: %w", err)
	}
	return e, nil
}

// Connect makes another in-process connection as GongkaiUser, with
// GongkaiInboxPrefix; opts come after those and may add to them.
func (e *Embedded) Connect(opts ...nats.Option) (*nats.Conn, error) {
	base := []nats.Option{nats.InProcessServer(e.Server), nats.UserInfo(GongkaiUser, e.password),
		nats.CustomInboxPrefix(GongkaiInboxPrefix)}
	return nats.Connect("", append(base, opts...)...)
}

// ConnectAdmin makes an in-process connection as AdminUser, which may do
// anything, including what GongkaiDeny refuses gongkai. Only tests call it.
func (e *Embedded) ConnectAdmin(opts ...nats.Option) (*nats.Conn, error) {
	base := []nats.Option{nats.InProcessServer(e.Server), nats.UserInfo(AdminUser, e.adminPassword), nats.Name("gongkai-admin")}
	return nats.Connect("", append(base, opts...)...)
}

// Close drains the connection and shuts the server down, waiting for it.
func (e *Embedded) Close() {
	e.Conn.Close()
	e.Server.Shutdown()
	e.Server.WaitForShutdown()
}

// connectionTypeInProcess is jwt.ConnectionTypeInProcess, the connection
// type of nats.InProcessServer clients.
const connectionTypeInProcess = "IN_PROCESS"

// minReaderPassword is the shortest reader password accepted.
const minReaderPassword = 16

// readerPassword reads the reader's password from path, or, when the file
// does not exist, writes a random one there with mode 0600.
func readerPassword(path string) (password string, created bool, err error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		password = rand.Text()
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return "", false, fmt.Errorf("无法写入 NATS 读者密码 / write the NATS reader password: %w", err)
		}
		_, err = f.WriteString(password + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", false, fmt.Errorf("无法写入 NATS 读者密码 / write the NATS reader password: %w", err)
		}
		return password, true, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("无法读取 NATS 读者密码 / NATS reader password: %w", err)
	}
	if fi.Mode().Perm()&0o007 != 0 {
		return "", false, fmt.Errorf("NATS 读者密码文件 %s 的权限 %v 允许其他用户访问，请执行 chmod 600 / "+
			"the NATS reader password file %s has mode %v, open to other users: chmod 600 it", path, fi.Mode().Perm(), path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false, fmt.Errorf("无法读取 NATS 读者密码 / NATS reader password: %w", err)
	}
	password = strings.TrimSpace(string(b))
	if len(password) < minReaderPassword || strings.ContainsAny(password, "\n\r") {
		return "", false, fmt.Errorf("NATS 读者密码文件 %s 须为一行、至少 %d 个字符 / "+
			"the NATS reader password file %s must hold one line of at least %d characters", path, minReaderPassword, path, minReaderPassword)
	}
	return password, false, nil
}
