package projections_test

import (
	"testing"

	"github.com/gongkai/gongkai/projections"
	"github.com/gongkai/gongkai/projections/projectiontest"
)

func TestMemoryConformance(t *testing.T) {
	projectiontest.Run(t, func(t *testing.T, m projections.Model) projections.Backend { return projections.NewMemory(m) })
}
