//go:build faultinject

package main

import (
	"fmt"
	"time"
)

// faultClock returns the clock gongkai serve injects when it is built with
// the faultinject tag (only the fault suite does that): the real clock
// shifted by GONGKAI_FAULT_CLOCK_OFFSET, a Go duration such as "2m" or
// "-90s". Go reads the time through the vDSO, so libfaketime cannot skew a
// Go binary; this hook is how the suite runs instances whose clocks differ.
// Only what gongkai takes from its injected clock moves (recorded_at, the
// guard, sessions, checkpoint intervals, the pages' today); deadlines and
// leases measured with time.Since keep the real monotonic clock.
func faultClock(getenv func(string) string) (func() time.Time, error) {
	v := getenv("GONGKAI_FAULT_CLOCK_OFFSET")
	if v == "" {
		return nil, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return nil, fmt.Errorf("GONGKAI_FAULT_CLOCK_OFFSET: %w", err)
	}
	return func() time.Time { return time.Now().Add(d) }, nil
}
