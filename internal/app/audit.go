package app

import (
	"context"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/internal/audit"
	"github.com/gongkai/gongkai/internal/projector"
)

// auditor builds auditors' reports by reading one community's events from
// the store (its own subjects, not the whole stream) on each request.
type auditor struct{ store *eventstore.Store }

func (a auditor) History(ctx context.Context, community string) (audit.History, error) {
	return audit.Load(ctx, projector.CommunityReader{Store: a.store}, community)
}

func (a auditor) AuditReport(ctx context.Context, community string, o audit.Options) (*audit.Report, error) {
	h, err := audit.Load(ctx, projector.CommunityReader{Store: a.store}, community)
	if err != nil {
		return nil, err
	}
	if len(h) == 0 {
		return nil, &domain.NotFoundError{What: "community", ID: community}
	}
	return audit.Build(ctx, h, community, o)
}
