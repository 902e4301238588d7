package command

import (
	"context"
)

// RegisterWriter records another writer key in the log, signed by this
// instance's key: the administrator's step before an instance with its own
// key (or a new key after a rotation) starts writing. It returns the key's
// id and the stored result.
func (s *Service) RegisterWriter(ctx context.Context, actor, publicKey, label string) (string, Result, error) {
	if err := s.cache.waitReady(ctx); err != nil {
		return "", Result{}, err
	}
	id, res, err := s.store.RegisterWriter(ctx, publicKey, label, actor)
	return id, resultOf(res), translate(err)
}

// RevokeWriter records that a writer key signs no more facts.
func (s *Service) RevokeWriter(ctx context.Context, actor, id string) (Result, error) {
	if err := s.cache.waitReady(ctx); err != nil {
		return Result{}, err
	}
	res, err := s.store.RevokeWriter(ctx, id, actor)
	return resultOf(res), translate(err)
}
