package auth

// Key returns a 32-byte key for purpose, derived from the instance's
// secret key with HMAC-SHA256 under a fixed label: every instance sharing
// the secret derives the same key, and no two purposes share one. The
// contacts store encrypts residents' contact details under
// Key("gongkai contacts v1").
func (s Secret) Key(purpose string) []byte { return s.mac("key", purpose) }
