package transparency

// Size returns the largest size the witness is known to have cosigned for
// this log: from its cosignatures and from its conflict replies, which name
// its latest size.
func (c *WitnessClient) Size() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.high
}
