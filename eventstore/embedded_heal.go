package eventstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// A full disk and the embedded nats-server (v2.15.2, single server).
//
// The server does not recover from a full disk by itself, in two ways, each
// lasting until JetStream is restarted:
//
//   - A write that fails with ENOSPC sets the stream's write error
//     (stream.go processJetStreamMsg: mset.setWriteErrLocked; filestore.go
//     setWriteErr). Every later write to that stream fails with the same
//     error even once there is room again, and none is answered ("We don't
//     want to respond back to the user"): the publisher times out. Reads
//     keep working; the server's health check names the error. The stream
//     is not stopped and JetStream stays enabled: handleOutOfSpace, which
//     turns JetStream off, runs only in clustered mode (and mirrors and
//     sources call ShutdownJetStream).
//   - JetStream allows itself three quarters of the disk space that was free
//     when it started, plus three quarters of what it held then
//     (dynJetStreamConfig, finalizeDynamicMaxStore). Past that every publish
//     is refused at once with 10023 "insufficient resources", and freeing
//     space or growing the disk does not move the limit.
//
// Restarting JetStream in the process (ShutdownJetStream, then
// EnableJetStream with the configuration it started with) clears both: the
// streams are recovered from their files (a record torn by the failed write
// is dropped, everything acknowledged is there, fsynced), the limit is
// computed again from the space free now, and connections, stream handles
// and ordered consumers carry on (an ordered consumer notices the missing
// heartbeats and starts again where it was, after a few seconds).

// Storage watch timings.
const (
	storageWatchEvery = time.Second
	// healBackoffMin is the least time between two restarts of JetStream;
	// it doubles, up to healBackoffMax, while the storage keeps failing,
	// and returns to the least once it has held for healBackoffReset.
	healBackoffMin   = 5 * time.Second
	healBackoffMax   = 5 * time.Minute
	healBackoffReset = time.Minute
)

// healMinFree is how much free space the disk needs before JetStream is
// restarted: 64 MiB, or a twentieth of the filesystem if that is less.
func healMinFree(total uint64) uint64 { return min(64<<20, total/20) }

// storageState is what the watch found.
type storageState struct {
	problem error // nil while JetStream can store
	// healable says a restart of JetStream would clear the problem now
	// (there is room again).
	healable bool
}

// storageWatch looks at the embedded server's storage and restarts
// JetStream when that brings back writes.
type storageWatch struct {
	srv *server.Server
	dir string // the StoreDir given to the server
	log *slog.Logger
	// syncAlways is JetStream's fsync mode at start; a restart must keep it.
	syncAlways bool
}

// WatchStorage starts watching the embedded server's storage for the
// problems a full disk leaves (see above) until the server shuts down.
// Once the disk has room again (at least 64 MiB, or a twentieth of the
// filesystem if that is less; more than JetStream's own limit would need)
// it restarts JetStream in the process, logging what it does, so that
// writes resume without restarting gongkai. It returns a check for the
// guard: nil while JetStream can store, otherwise an error saying what is
// wrong and what to do.
func (e *Embedded) WatchStorage(dir string, log *slog.Logger) func(context.Context) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &storageWatch{srv: e.Server, dir: dir, log: log}
	if c := e.Server.JetStreamConfig(); c != nil {
		w.syncAlways = c.SyncAlways
	}
	done := make(chan struct{})
	go func() {
		e.Server.WaitForShutdown()
		close(done)
	}()
	go w.run(done)
	return func(context.Context) error { return w.state().problem }
}

func (w *storageWatch) run(done <-chan struct{}) {
	t := time.NewTicker(storageWatchEvery)
	defer t.Stop()
	backoff := healBackoffMin
	var lastHeal, okSince time.Time
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		if !w.srv.Running() {
			return
		}
		st := w.state()
		if st.problem == nil {
			if okSince.IsZero() {
				okSince = time.Now()
			}
			if time.Since(okSince) > healBackoffReset {
				backoff = healBackoffMin
			}
			continue
		}
		okSince = time.Time{}
		if !st.healable || time.Since(lastHeal) < backoff {
			continue
		}
		if !lastHeal.IsZero() {
			backoff = min(2*backoff, healBackoffMax)
		}
		lastHeal = time.Now()
		w.heal(st.problem)
	}
}

// heal restarts JetStream with the configuration the server started with.
func (w *storageWatch) heal(why error) {
	w.log.Warn("the disk has room again: restarting JetStream in the process so that writes resume", "reason", why.Error())
	start := time.Now()
	if w.srv.JetStreamEnabled() {
		if err := w.srv.ShutdownJetStream(); err != nil {
			w.log.Error("restarting JetStream: shutdown failed", "err", err)
			return
		}
	}
	if !w.srv.Running() {
		return
	}
	// With no limits given, EnableJetStream computes them as at start
	// (dynJetStreamConfig: sync and strict mode from the server's options,
	// the storage limit from the space free now).
	if err := w.srv.EnableJetStream(&server.JetStreamConfig{StoreDir: w.dir}); err != nil {
		w.log.Error("restarting JetStream failed; trying again later", "err", err)
		return
	}
	w.log.Info("JetStream restarted after a full disk", "took", time.Since(start), "reason_was", why.Error())
}

// state looks at JetStream and the disk.
func (w *storageWatch) state() storageState {
	free, total, err := diskSpace(w.dir)
	if err != nil {
		return storageState{problem: fmt.Errorf("cannot read the free space of %s: %v / 无法读取磁盘可用空间", w.dir, err)}
	}
	room := free >= healMinFree(total)
	where := fmt.Sprintf("%s free of %s on %s", size(free), size(total), w.dir)
	if !w.srv.JetStreamEnabled() {
		return storageState{healable: room, problem: bilingual(room,
			"JetStream has stopped and the ledger takes no writes; "+where,
			"JetStream 已停止，账本暂停写入。")}
	}
	if c := w.srv.JetStreamConfig(); c != nil && c.SyncAlways != w.syncAlways {
		// Acknowledged must mean durable: never take writes without the
		// fsync mode gongkai started with.
		return storageState{problem: fmt.Errorf("JetStream runs with sync_always %v, but gongkai started it with %v: restart gongkai / "+
			"JetStream 落盘模式与启动时不同，暂停写入，请重启 gongkai。", c.SyncAlways, w.syncAlways)}
	}
	hs := w.srv.Healthz(&server.HealthzOptions{Details: true})
	for _, he := range hs.Errors {
		if he.Type != server.HealthzErrorStream || !strings.Contains(he.Error, "write error") {
			continue
		}
		if !strings.Contains(he.Error, "no space left") {
			// Not a full disk: restarting JetStream would hide a failing
			// disk, so this is left to an operator.
			return storageState{problem: fmt.Errorf(
				"JetStream cannot write stream %s (%s), and the disk is not full: check the disk, then restart gongkai / "+
					"账本无法写入磁盘（并非磁盘已满），请检查磁盘后重启 gongkai。", he.Stream, he.Error)}
		}
		return storageState{healable: room, problem: bilingual(room,
			fmt.Sprintf("the disk holding the ledger is full: JetStream could not write stream %s (no space left on device) and takes no writes; %s", he.Stream, where),
			"账本所在磁盘已满，暂停写入。")}
	}
	jsz, err := w.srv.Jsz(nil)
	if err != nil || jsz.Config.MaxStore <= 0 {
		return storageState{}
	}
	used, limit := jsz.Store, uint64(jsz.Config.MaxStore)
	if used < limit {
		return storageState{}
	}
	// The limit a restart would set (dynJetStreamConfig and
	// finalizeDynamicMaxStore): three quarters of what is free and of
	// what is stored.
	next := free/4*3 + used/4*3
	room = next >= used+healMinFree(total)
	return storageState{healable: room, problem: bilingual(room,
		fmt.Sprintf("the ledger's storage is full: JetStream has stored %s and allows itself %s "+
			"(three quarters of the disk space free when it started, and of what it held then); %s", size(used), size(limit), where),
		"账本存储已达 JetStream 的上限（启动时可用磁盘空间的四分之三），暂停写入。")}
}

// bilingual is a storage problem in English and Chinese, with what to do.
func bilingual(room bool, en, zh string) error {
	if room {
		return fmt.Errorf("%s. There is room again: JetStream is being restarted in the process and writes resume within seconds / %s磁盘已有空间，正在重新启动 JetStream，数秒内恢复写入。", en, zh)
	}
	return fmt.Errorf("%s. Free space on that disk or grow it: writes then resume by themselves within seconds, without restarting gongkai (docs/deploy.md, \"Disk full\") / "+
		"%s请清理或扩容该磁盘：空间恢复后数秒内自动恢复写入，无需重启 gongkai。", en, zh)
}

// diskSpace returns the bytes an unprivileged process may still write on
// the filesystem holding dir (or its nearest existing parent), and the
// filesystem's size.
func diskSpace(dir string) (free, total uint64, err error) {
	for {
		var fs syscall.Statfs_t
		err = syscall.Statfs(dir, &fs)
		if err == nil {
			return fs.Bavail * uint64(fs.Bsize), fs.Blocks * uint64(fs.Bsize), nil
		}
		parent := filepath.Dir(dir)
		if !errors.Is(err, syscall.ENOENT) || parent == dir {
			return 0, 0, err
		}
		dir = parent
	}
}

// size formats a number of bytes for an operator.
func size(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", n>>10)
}
