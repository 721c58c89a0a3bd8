// Package memstorage is a storage extension for tests: it keeps what it
// stores in memory, for as long as the test holds it.
package memstorage

import (
	"context"
	"maps"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// New is an empty storage.
func New() *Storage {
	return &Storage{data: map[string][]byte{}}
}

// Storage is a storage extension that keeps what it stores in
// memory, for as long as the test holds it: across an exporter's restart,
// as file_storage keeps it across the collector's.
type Storage struct {
	component.StartFunc
	component.ShutdownFunc
	mu   sync.Mutex
	data map[string][]byte
}

func (s *Storage) GetClient(context.Context, component.Kind, component.ID, string) (storage.Client, error) {
	return s, nil
}

func (s *Storage) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return clone(s.data[key]), nil
}

func (s *Storage) Set(_ context.Context, key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data[key] = clone(value)
	return nil
}

func (s *Storage) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.data, key)
	return nil
}

func (s *Storage) Batch(ctx context.Context, ops ...*storage.Operation) error {
	for _, op := range ops {
		switch op.Type {
		case storage.Get:
			op.Value, _ = s.Get(ctx, op.Key)
		case storage.Set:
			_ = s.Set(ctx, op.Key, op.Value)
		case storage.Delete:
			_ = s.Delete(ctx, op.Key)
		}
	}
	return nil
}

func (s *Storage) Close(context.Context) error { return nil }

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// Snapshot is what a crash leaves on disk: the storage as it is now.
func (s *Storage) Snapshot() *Storage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &Storage{data: maps.Clone(s.data)}
}

// Has says whether key holds a value.
func (s *Storage) Has(key string) bool {
	v, _ := s.Get(context.Background(), key)
	return v != nil
}
