package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/internal/auth"
	"github.com/gongkai/gongkai/internal/web"
)

// contactsKeyLabel names the key, derived from the instance's secret key,
// that encrypts residents' contact details: every instance of one log
// needs the same secret key to read them.
const contactsKeyLabel = "gongkai contacts v1"

// openContacts opens the store of residents' contact details (outside the
// log). When it cannot be opened the server runs without it: questions are
// still taken, those with contact details refused.
func openContacts(ctx context.Context, js jetstream.JetStream, secret auth.Secret, replicas int, log *slog.Logger) web.Contacts {
	var cs *eventstore.Contacts
	err := eventstore.RetryTransient(ctx, log, "open the contacts bucket", 30*time.Second, func() (err error) {
		cs, err = eventstore.OpenContacts(ctx, js, secret.Key(contactsKeyLabel), replicas)
		return err
	})
	if err != nil {
		log.Warn("contacts bucket unavailable: questions with contact details are refused", "bucket", eventstore.ContactsBucket, "err", err)
		return nil
	}
	return contactsStore{cs}
}

// contactsStore is the eventstore's contacts bucket as the web consumes it.
type contactsStore struct{ s *eventstore.Contacts }

func (c contactsStore) Put(ctx context.Context, community string, ct web.Contact) (string, error) {
	return c.s.Put(ctx, community, eventstore.Contact{Name: ct.Name, Phone: ct.Phone, Note: ct.Note, ForgetHash: ct.ForgetHash})
}

func (c contactsStore) Get(ctx context.Context, community, ref string) (web.Contact, bool, error) {
	ct, ok, err := c.s.Get(ctx, community, ref)
	return web.Contact{Name: ct.Name, Phone: ct.Phone, Note: ct.Note, ForgetHash: ct.ForgetHash}, ok, err
}

func (c contactsStore) Delete(ctx context.Context, community, ref string) error {
	return c.s.Delete(ctx, community, ref)
}
