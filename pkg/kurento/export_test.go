package kurento

// HandlerCount exposes the number of local event handlers to tests.
func HandlerCount(c *Client) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, l := range c.handlers {
		n += len(l)
	}
	return n
}
