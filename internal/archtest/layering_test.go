// Package archtest checks that dependencies point inward: domain imports
// nothing of ours, eventstore and projections import only domain, and
// never each other.
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/gongkai/gongkai"

func TestDependenciesPointInward(t *testing.T) {
	allowed := map[string][]string{
		"domain":      nil,
		"eventstore":  {"domain"},
		"projections": {"domain"},
	}
	for pkg, ok := range allowed {
		out, err := exec.Command("go", "list", "-deps", module+"/"+pkg+"/...").Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			rel, ours := strings.CutPrefix(dep, module+"/")
			if !ours || rel == pkg || strings.HasPrefix(rel, pkg+"/") {
				continue
			}
			permitted := false
			for _, a := range ok {
				permitted = permitted || rel == a || strings.HasPrefix(rel, a+"/")
			}
			if !permitted {
				t.Errorf("%s depends on %s", pkg, rel)
			}
		}
	}
}

// The web and auth packages reach the log only through the command
// service and the interfaces they declare (issue 9: one front door): they
// import neither the store nor the projectors, directly or indirectly
// through a package other than internal/command and internal/transparency,
// whose own dependencies on the store are theirs.
func TestWebReachesTheLogThroughTheFrontDoor(t *testing.T) {
	for _, pkg := range []string{"internal/web", "internal/auth", "internal/workbench"} {
		// Their tests too: they reach the log through apptest.
		out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}} {{join .TestImports "\n"}} {{join .XTestImports "\n"}}`, module+"/"+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, imp := range strings.Fields(string(out)) {
			for _, banned := range []string{"eventstore", "internal/projector"} {
				if imp == module+"/"+banned || strings.HasPrefix(imp, module+"/"+banned+"/") {
					t.Errorf("%s imports %s: it must go through the command service and its declared interfaces", pkg, imp)
				}
			}
		}
	}
	// auth depends on domain alone.
	out, err := exec.Command("go", "list", "-deps", module+"/internal/auth").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if rel, ours := strings.CutPrefix(dep, module+"/"); ours && rel != "domain" && rel != "internal/auth" {
			t.Errorf("internal/auth depends on %s; it may depend on domain only", rel)
		}
	}
}
