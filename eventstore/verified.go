package eventstore

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// The verified file records how far this instance has verified the writer
// signatures of a stream, so that a restart checks only what is new:
//
//	gongkai-verified v1
//	<stream name>
//	<the stream's creation time, RFC 3339 with nanoseconds>
//	<last verified sequence>
//	<the sequences up to it found not to be facts, comma-separated>
//
// It is trusted like the instance's tree: both live in its own directory.
// A stream with another name or creation time (deleted and made anew, or
// another cluster's) is verified from the start.
const verifiedMagic = "gongkai-verified v1"

func (s *Store) loadVerified() (uint64, map[uint64]bool) {
	if s.verifiedFile == "" {
		return 0, nil
	}
	b, err := os.ReadFile(s.verifiedFile)
	if err != nil {
		return 0, nil
	}
	f := strings.Split(string(b), "\n")
	if len(f) != 6 || f[0] != verifiedMagic || f[1] != s.name || f[2] != s.created.UTC().Format(time.RFC3339Nano) || f[5] != "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(f[3], 10, 64)
	if err != nil {
		return 0, nil
	}
	rejected := map[uint64]bool{}
	for _, x := range strings.Split(f[4], ",") {
		if x == "" {
			continue
		}
		seq, err := strconv.ParseUint(x, 10, 64)
		if err != nil {
			return 0, nil
		}
		rejected[seq] = true
	}
	return n, rejected
}

// SaveVerified records, in the verified file, that every message the index
// has decided was checked. It writes only when the index moved by at least
// minStep messages since the last save (0: whenever it moved).
func (s *Store) SaveVerified(minStep uint64) error {
	if s.verifiedFile == "" {
		return nil
	}
	var thru uint64
	var rejected []string
	s.idx.with(func(v *Validator) {
		thru = s.idx.thru
		for _, seq := range v.order {
			rejected = append(rejected, strconv.FormatUint(seq, 10))
		}
	})
	if thru <= s.savedThrough || thru-s.savedThrough < minStep {
		return nil
	}
	body := fmt.Sprintf("%s\n%s\n%s\n%d\n%s\n", verifiedMagic, s.name, s.created.UTC().Format(time.RFC3339Nano), thru, strings.Join(rejected, ","))
	tmp := s.verifiedFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
		return fmt.Errorf("save verified: %w", err)
	}
	if err := os.Rename(tmp, s.verifiedFile); err != nil {
		return fmt.Errorf("save verified: %w", err)
	}
	s.savedThrough = thru
	return nil
}
