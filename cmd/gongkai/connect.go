package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gongkai/gongkai/eventstore"
)

// errNoLog is returned when a tool is given neither --nats nor --data.
var errNoLog = errors.New("--nats or --data is required")

// openJetStream connects a command-line tool to the log: an external
// cluster (natsURLs, with an optional credentials file) or, with the server
// stopped, the embedded store in data. close releases the connection.
func openJetStream(name, natsURLs, creds, data string) (js jetstream.JetStream, close func(), err error) {
	var nc *nats.Conn
	switch {
	case natsURLs != "":
		opts := []nats.Option{nats.Name(name)}
		if creds != "" {
			opts = append(opts, nats.UserCredentials(creds))
		}
		if nc, err = nats.Connect(strings.ReplaceAll(natsURLs, " ", ""), opts...); err != nil {
			return nil, nil, fmt.Errorf("connect to NATS: %w", err)
		}
		close = nc.Close
	case data != "":
		e, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Dir: data})
		if err != nil {
			return nil, nil, err
		}
		nc, close = e.Conn, e.Close
	default:
		return nil, nil, errNoLog
	}
	if js, err = jetstream.New(nc); err != nil {
		close()
		return nil, nil, err
	}
	return js, close, nil
}
