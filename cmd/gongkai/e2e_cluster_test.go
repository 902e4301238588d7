package main_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsNode is one nats-server process of a test cluster.
type natsNode struct {
	name, conf, url string
	cmd             *exec.Cmd
	logs            *bytes.Buffer
	opts            []nats.Option // how connectCluster connects
}

func (n *natsNode) start(t *testing.T) {
	t.Helper()
	n.cmd = exec.Command(natsBin, "-c", n.conf)
	n.logs = &bytes.Buffer{}
	n.cmd.Stdout, n.cmd.Stderr = n.logs, n.logs
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmd := n.cmd
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
}

// natsAuth is the authentication of a test cluster.
type natsAuth struct {
	// accounts is the text of accounts.conf, which every node includes.
	accounts string
	// routeUser and routePass authenticate the routes between nodes.
	routeUser, routePass string
	// connect are the options the test waits for the cluster with.
	connect []nats.Option
}

// startCluster starts three nats-server processes with JetStream (fsync on
// every write) clustered on loopback ports, with no authentication.
func startCluster(t *testing.T) []*natsNode { return startNATSNodes(t, 3, nil) }

// startNATS starts one nats-server process with JetStream (fsync on every
// write) and no authentication.
func startNATS(t *testing.T) *natsNode { return startNATSNodes(t, 1, nil)[0] }

// startNATSNodes starts n nats-server processes with JetStream (fsync on
// every write), clustered on loopback ports when n > 1, with auth when it
// is not nil, and waits for JetStream to answer.
func startNATSNodes(t *testing.T, n int, auth *natsAuth) []*natsNode {
	t.Helper()
	dir := t.TempDir()
	client, route := make([]string, n), make([]string, n)
	for i := range n {
		client[i], route[i] = freeAddr(t), freeAddr(t)
	}
	var include, routeAuth, routeCreds string
	var opts []nats.Option
	if auth != nil {
		if err := os.WriteFile(filepath.Join(dir, "accounts.conf"), []byte(auth.accounts), 0o600); err != nil {
			t.Fatal(err)
		}
		include = "include accounts.conf\n"
		routeAuth = fmt.Sprintf("authorization { user: %s, password: %q }, ", auth.routeUser, auth.routePass)
		routeCreds = auth.routeUser + ":" + auth.routePass + "@"
		opts = auth.connect
	}
	nodes := make([]*natsNode, n)
	for i := range n {
		var routes []string
		for j := range n {
			if j != i {
				routes = append(routes, "nats-route://"+routeCreds+route[j])
			}
		}
		name := fmt.Sprintf("n%d", i+1)
		conf := filepath.Join(dir, name+".conf")
		host, port, _ := strings.Cut(client[i], ":")
		rhost, rport, _ := strings.Cut(route[i], ":")
		body := fmt.Sprintf(`server_name: %s
host: %s
port: %s
jetstream { store_dir: %q, sync_interval: always }
`, name, host, port, filepath.Join(dir, name))
		if n > 1 {
			body += fmt.Sprintf("cluster { name: gongkai-test, host: %s, port: %s, %sroutes: [%s] }\n",
				rhost, rport, routeAuth, strings.Join(routes, ", "))
		}
		body += include
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		nodes[i] = &natsNode{name: name, conf: conf, url: "nats://" + client[i], opts: opts}
		nodes[i].start(t)
	}
	// Wait for JetStream (in a cluster, a meta leader).
	nc := connectCluster(t, nodes)
	defer nc.Close()
	js, _ := jetstream.New(nc)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		if err == nil {
			return nodes
		}
		if time.Now().After(deadline) {
			t.Fatalf("JetStream not ready: %v\n%s", err, nodes[0].logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func urls(nodes []*natsNode) string {
	var u []string
	for _, n := range nodes {
		u = append(u, n.url)
	}
	return strings.Join(u, ",")
}

func connectCluster(t *testing.T, nodes []*natsNode) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(urls(nodes), append([]nats.Option{nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true)}, nodes[0].opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return nc
}

// waitStreamRecovered waits until the GONGKAI stream has a leader and all of
// its replicas are current, and fails the test after timeout.
func waitStreamRecovered(t *testing.T, js jetstream.JetStream, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		info, err := ledgerStreamInfo(js)
		switch {
		case err != nil:
			last = err.Error()
		case info.Cluster == nil || info.Cluster.Leader == "":
			last = "no stream leader"
		default:
			current := 0
			for _, r := range info.Cluster.Replicas {
				if r.Current && !r.Offline {
					current++
				}
			}
			if current == len(info.Cluster.Replicas) && current == 2 {
				t.Logf("stream recovered: leader %s, %d current followers", info.Cluster.Leader, current)
				return
			}
			last = fmt.Sprintf("leader %s, %d of %d followers current", info.Cluster.Leader, current, len(info.Cluster.Replicas))
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream did not recover within %v: %s", timeout, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// ledgerStreamInfo asks for the GONGKAI stream's info, waiting at most 2 s.
func ledgerStreamInfo(js jetstream.JetStream) (*jetstream.StreamInfo, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, "GONGKAI")
	if err != nil {
		return nil, err
	}
	return st.Info(ctx)
}

// streamLeader returns the node that leads the GONGKAI stream, which must
// have 3 replicas. A cluster that has just lost a node may not answer, or
// have no leader, for a while: it asks again for up to 30 s.
func streamLeader(t *testing.T, js jetstream.JetStream, nodes []*natsNode) *natsNode {
	t.Helper()
	var last string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		info, err := ledgerStreamInfo(js)
		if err != nil {
			last = err.Error()
			continue
		}
		if info.Cluster == nil || info.Config.Replicas != 3 {
			t.Fatalf("stream info: %+v", info)
		}
		for _, n := range nodes {
			if n.name == info.Cluster.Leader {
				return n
			}
		}
		last = fmt.Sprintf("no stream leader among %v: %q", urls(nodes), info.Cluster.Leader)
	}
	t.Fatalf("no stream leader within 30s: %s", last)
	return nil
}

// gongkai started while the cluster elects a new stream leader (the old one
// was just killed) waits for the stream instead of exiting, becomes ready
// and takes appends, without operator action.
func TestFaultClusterServeStartsDuringElection(t *testing.T) {
	nodes := startCluster(t)
	args := []string{"--nats", urls(nodes), "--replicas", "3"}
	p := startServe(t, bin, "", freeAddr(t), args...)
	cmdURL := p.url + "/api/v1/communities/e2e/commands"
	mustPost(t, cmdURL, "reg", registerE2E)
	for i := range 20 {
		mustPost(t, cmdURL, fmt.Sprint("before-", i), fmt.Sprintf(
			`{"type":"matter.register","aggregate_id":"el-%d","effective_date":"2025-03-01","data":{"title":"选举前 %d"}}`, i, i))
	}
	// 21 appends, and what gongkai writes of its own (its writer key).
	before := caughtUp(t, p, 30*time.Second).LastSeq
	stop(t, p)

	nc := connectCluster(t, nodes)
	defer nc.Close()
	js, _ := jetstream.New(nc)
	leader := streamLeader(t, js, nodes)
	if err := leader.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	leader.cmd.Wait()
	killed := time.Now()
	p = startServe(t, bin, "", freeAddr(t), args...)
	t.Logf("gongkai ready %.1f s after the stream leader %s was killed", time.Since(killed).Seconds(), leader.name)
	cmdURL = p.url + "/api/v1/communities/e2e/commands"
	mustPost(t, cmdURL, "after", `{"type":"matter.register","aggregate_id":"el-after","effective_date":"2025-03-02","data":{"title":"选举后"}}`)
	if r := caughtUp(t, p, 30*time.Second); r.LastSeq != before+1 {
		t.Fatalf("stream last sequence %d after one more append, want %d", r.LastSeq, before+1)
	}
	stop(t, p) // the process's output is complete only once it has exited
	if waited := grepLines(p.logs.String(), "trying again"); waited != "" {
		t.Logf("start-up waited for the stream:\n%s", waited)
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
