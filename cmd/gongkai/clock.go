//go:build !faultinject

package main

import "time"

// faultClock is the clock hook of the fault suite's clock-skew test. In the
// normal build there is none: gongkai serve uses the real clock.
func faultClock(getenv func(string) string) (func() time.Time, error) { return nil, nil }
