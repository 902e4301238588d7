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
