package compile

import (
	"container/list"
	"sync"
)

// renderCache keeps rendered SQL (with its markers) by dialect and plan
// shape. A plan holds no values, only parameter slots, so two plans that
// serialize alike render alike: the same segment counted again, at another
// as_of or with other operands, skips the templates. It holds at most max
// entries, dropping the least recently used.
type renderCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // front: most recently used; values are *cacheEntry
	index map[string]*list.Element
}

type cacheEntry struct{ key, text string }

func newRenderCache(max int) *renderCache {
	return &renderCache{max: max, order: list.New(), index: map[string]*list.Element{}}
}

func (c *renderCache) get(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.index[key]
	if !ok {
		return "", false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cacheEntry).text, true
}

func (c *renderCache) put(key, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.index[key]; ok {
		c.order.MoveToFront(el)
		return
	}
	c.index[key] = c.order.PushFront(&cacheEntry{key: key, text: text})
	if c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.index, last.Value.(*cacheEntry).key)
	}
}
