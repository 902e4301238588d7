package transparency_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gongkai/gongkai/internal/transparency"
)

// A tree whose disk fills stays as it was, in memory and in its files, and
// takes the same leaves again once there is room: its root then equals that
// of a tree that never failed, also after reopening. The test mounts a
// small tmpfs (it runs as root, as CI does).
func TestTreeAppendOnFullDisk(t *testing.T) {
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs (needs root; CI runs the tests as root): %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", mnt).Run() })
	dir := filepath.Join(mnt, "tree")
	tr, err := transparency.OpenTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	// Fill the filesystem but for a little room.
	ballast := filepath.Join(mnt, "ballast")
	f, err := os.Create(ballast)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := f.Write(make([]byte, 4096)); err != nil {
			break
		}
	}
	f.Close()
	ref, err := transparency.OpenTree(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	failedAt := -1
	for i := range 4096 {
		if err := tr.Append(leafHash(i)); err != nil {
			failedAt = i
			break
		}
		if err := ref.Append(leafHash(i)); err != nil {
			t.Fatal(err)
		}
	}
	if failedAt < 0 {
		t.Fatal("the tree never hit the full disk")
	}
	if tr.Size() != uint64(failedAt) {
		t.Fatalf("after a failed append the size is %d, want %d", tr.Size(), failedAt)
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	for i := failedAt; i < failedAt+100; i++ {
		if err := tr.Append(leafHash(i)); err != nil {
			t.Fatalf("append %d once there is room: %v", i, err)
		}
		if err := ref.Append(leafHash(i)); err != nil {
			t.Fatal(err)
		}
	}
	size := tr.Size()
	want, _ := ref.RootAt(size)
	got, err := tr.RootAt(size)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("root at %d = %x, %v; want %x", size, got, err, want)
	}
	tr.Close()
	tr, err = transparency.OpenTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if got, _ := tr.RootAt(size); tr.Size() != size || !bytes.Equal(got, want) {
		t.Fatalf("reopened: size %d root %x, want %d %x", tr.Size(), got, size, want)
	}
}
