package command_test

import (
	"testing"

	"github.com/gongkai/gongkai/internal/command"
)

func TestKept(t *testing.T) {
	for subject, want := range map[string]bool{
		"ledger.c1.community.c1":         true,
		"ledger._gongkai.account.li-na":  true,
		"ledger.c1.token.t-1":            true,
		"ledger._gongkai.evaluation.e-1": true,
		"ledger.c1.matter.m-1":           false,
		"ledger.c1.books.books":          false,
		"ledger.c1.communityx.c1":        false,
		"ledger.c1.community":            true,
		"ledger.c1":                      false,
		"":                               false,
	} {
		if got := command.Kept(subject); got != want {
			t.Errorf("kept(%q) = %v, want %v", subject, got, want)
		}
	}
}
