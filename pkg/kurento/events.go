package kurento

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
)

type handlerKey struct{ object, event string }

// Subscription is one event listener registered on the server.
type Subscription struct {
	c      *Client
	key    handlerKey
	id     string
	handle func(data json.RawMessage)
}

// Unsubscribe removes the listener locally and on the server.
func (s *Subscription) Unsubscribe(ctx context.Context) error {
	c := s.c
	c.mu.Lock()
	list := c.handlers[s.key]
	for i, x := range list {
		if x == s {
			c.handlers[s.key] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	c.mu.Unlock()
	_, err := c.Call(ctx, "unsubscribe", map[string]any{"object": s.key.object, "subscription": s.id})
	return err
}

// Subscribe registers fn for events of type event raised by object. fn runs
// on the client's event goroutine, in the order events arrive; it may call
// the client.
func (c *Client) Subscribe(ctx context.Context, object, event string, fn func(data json.RawMessage)) (*Subscription, error) {
	res, err := c.Call(ctx, "subscribe", map[string]any{"object": object, "type": event})
	if err != nil {
		return nil, err
	}
	var r struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return nil, err
	}
	s := &Subscription{c: c, key: handlerKey{object, event}, id: r.Value, handle: fn}
	c.mu.Lock()
	c.handlers[s.key] = append(c.handlers[s.key], s)
	c.mu.Unlock()
	return s, nil
}

// On is a typed form of Subscribe: the event data is decoded into T.
func On[T any](ctx context.Context, o Object, event string, fn func(T)) (*Subscription, error) {
	base := o.base()
	return base.c.Subscribe(ctx, base.id, event, func(data json.RawMessage) {
		var ev T
		if err := json.Unmarshal(data, &ev); err != nil {
			base.c.log.Warn("undecodable event", "event", event, "err", err)
			return
		}
		fn(ev)
	})
}

// dropHandlers forgets the handlers of an object and of its children (ids
// that extend it with "/").
func (c *Client) dropHandlers(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.handlers {
		if k.object == id || strings.HasPrefix(k.object, id+"/") {
			delete(c.handlers, k)
		}
	}
}

func (c *Client) dispatchEvents() {
	defer c.wg.Done()
	for {
		raw, ok := c.events.pop()
		if !ok {
			return
		}
		var p struct {
			Value struct {
				Data   json.RawMessage `json:"data"`
				Object string          `json:"object"`
				Type   string          `json:"type"`
			} `json:"value"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			continue
		}
		c.mu.Lock()
		list := append([]*Subscription(nil), c.handlers[handlerKey{p.Value.Object, p.Value.Type}]...)
		c.mu.Unlock()
		for _, s := range list {
			s.handle(p.Value.Data)
		}
	}
}

// eventQueue is an unbounded FIFO so the read loop never blocks on slow
// event handlers (which may themselves wait for answers from that loop).
type eventQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	items  []json.RawMessage
	closed bool
}

func newEventQueue() *eventQueue {
	q := &eventQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *eventQueue) push(v json.RawMessage) {
	q.mu.Lock()
	q.items = append(q.items, v)
	q.mu.Unlock()
	q.cond.Signal()
}

func (q *eventQueue) pop() (json.RawMessage, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return nil, false
	}
	v := q.items[0]
	q.items[0] = nil
	q.items = q.items[1:]
	return v, true
}

func (q *eventQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}
