package cache

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"time"
)

// entryOverhead approximates the bytes an entry costs beyond its key and
// value (list element, map slot, entry struct), so that many small values
// cannot exceed maxBytes unnoticed.
const entryOverhead = 128

// Memory is a Store in the process's memory, bounded by a byte budget: when
// a Set would exceed it, the least recently used values go first. Expired
// values are dropped when read and are the first evicted in practice (they
// are not read). It serves tests and a single server without a data
// directory; snapshots larger than the budget lose chunks to eviction, which
// their readers report as missing.
type Memory struct {
	opts     options
	maxBytes int64

	mu      sync.Mutex
	used    int64
	lru     *list.List // of *memoryEntry, most recently used first
	entries map[string]*list.Element
}

type memoryEntry struct {
	key     string
	value   []byte
	expires time.Time
}

func (e *memoryEntry) size() int64 { return int64(len(e.key)+len(e.value)) + entryOverhead }

// NewMemory returns an empty Memory store that holds at most maxBytes of
// keys, values and per-entry overhead.
func NewMemory(maxBytes int64, opts ...Option) *Memory {
	return &Memory{
		opts:     buildOptions(opts),
		maxBytes: maxBytes,
		lru:      list.New(),
		entries:  make(map[string]*list.Element),
	}
}

// Get implements Store.
func (m *Memory) Get(ctx context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.entries[key]
	if !ok {
		return nil, fmt.Errorf("cache memory: get %q: %w", key, ErrMiss)
	}
	e := el.Value.(*memoryEntry)
	if expired(e.expires, m.opts.now()) {
		m.remove(el)
		return nil, fmt.Errorf("cache memory: get %q: %w", key, ErrMiss)
	}
	m.lru.MoveToFront(el)
	return e.value, nil
}

// Set implements Store. A value bigger than the whole budget is refused
// rather than silently dropped.
func (m *Memory) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := checkTTL("memory", key, ttl); err != nil {
		return err
	}
	e := &memoryEntry{key: key, value: append([]byte(nil), value...)}
	if e.size() > m.maxBytes {
		return fmt.Errorf("cache memory: set %q: %d bytes exceed the store's budget of %d", key, e.size(), m.maxBytes)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e.expires = expiry(m.opts.now(), ttl)
	if el, ok := m.entries[key]; ok {
		m.remove(el)
	}
	for m.used+e.size() > m.maxBytes {
		m.remove(m.lru.Back())
	}
	m.entries[key] = m.lru.PushFront(e)
	m.used += e.size()
	return nil
}

// Delete implements Store.
func (m *Memory) Delete(ctx context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.entries[key]; ok {
		m.remove(el)
	}
	return nil
}

// remove drops an entry; m.mu is held.
func (m *Memory) remove(el *list.Element) {
	e := m.lru.Remove(el).(*memoryEntry)
	delete(m.entries, e.key)
	m.used -= e.size()
}

// Ping implements Store: memory always answers.
func (m *Memory) Ping(ctx context.Context) error { return nil }

// Close implements Store by dropping every value.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lru.Init()
	clear(m.entries)
	m.used = 0
	return nil
}
