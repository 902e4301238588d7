package eventstore

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// EmbeddedConfig configures an in-process NATS server with JetStream.
type EmbeddedConfig struct {
	// Dir is where JetStream keeps its files.
	Dir string
	// Listen is a host:port to accept network clients on; empty means no
	// listener at all (the process talks to the server in-process).
	Listen string
	// NoSync turns off fsync on every write. Only benchmarks set it, to
	// measure what fsync costs; an acknowledged write may then be lost.
	NoSync bool
}

// Embedded is a running in-process NATS server and a connection to it.
type Embedded struct {
	Server *server.Server
	Conn   *nats.Conn
}

// StartEmbedded starts an in-process nats-server with JetStream file storage
// under cfg.Dir that fsyncs every write (sync_interval: always), and
// connects to it in-process.
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
	if cfg.Listen != "" {
		host, port, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("nats listen address %q: %w", cfg.Listen, err)
		}
		opts.Host = host
		if opts.Port, err = strconv.Atoi(port); err != nil {
			return nil, fmt.Errorf("nats listen port %q: %w", port, err)
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
	nc, err := nats.Connect("", nats.InProcessServer(srv), nats.Name("gongkai"))
	if err != nil {
		srv.Shutdown()
		return nil, fmt.Errorf("embedded nats connect: %w", err)
	}
	return &Embedded{Server: srv, Conn: nc}, nil
}

// Close drains the connection and shuts the server down, waiting for it.
func (e *Embedded) Close() {
	e.Conn.Close()
	e.Server.Shutdown()
	e.Server.WaitForShutdown()
}
