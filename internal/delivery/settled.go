package delivery

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"

	"github.com/sentyr/webhookexporter/internal/mapping"
)

// A persistent queue keeps a whole batch until the exporter is done with
// it: a batch that a shutdown or a crash interrupts comes back whole at
// the next start, although the receiver may have taken some of its events
// and others may have been dead-lettered. The settled store remembers
// those events, by event id, in the storage extension the queue uses, so
// that they are skipped when their batch comes back. Ids, not batches, are
// the key: the queue's batching may merge or split a batch that comes back.
//
// Only a batch that an attempt settled in part is written: one record per
// such batch, written when an attempt settles more of its events, deleted
// when the batch is done. Nothing is written for a batch delivered at its
// first attempt, and nothing is computed for a batch while the store is
// empty.

const (
	// SettledIndexKey lists the sequence numbers of the records in storage.
	SettledIndexKey  = "settled.index"
	settledKeyPrefix = "settled."
	// maxSettledEvents bounds the ids the store keeps (in memory and on
	// disk). Events settled beyond it may be sent again after a restart,
	// the at-least-once of a queue without the store.
	maxSettledEvents = 100_000
	// maxSettledAge drops, at start, records that no batch came back for:
	// their queue was emptied or its storage replaced.
	maxSettledAge      = 7 * 24 * time.Hour
	settledStorageName = "settled"
	digestLen          = 16
)

// settledStore is the set of events settled in batches the queue still
// holds.
type settledStore struct {
	client storage.Client
	logger *zap.Logger
	now    func() time.Time

	mu      sync.Mutex
	ids     map[mapping.Digest]uint64 // an event's record
	records map[uint64]*settledRecord
	next    uint64 // the next record's sequence number
}

// settledRecord is the settled events of one batch.
type settledRecord struct {
	ids []mapping.Digest
}

// openSettledStore gets a client of the queue's storage extension and
// loads the records that earlier runs left.
func openSettledStore(ctx context.Context, host component.Host, storageID, owner component.ID, logger *zap.Logger, now func() time.Time) (*settledStore, error) {
	ext, ok := host.GetExtensions()[storageID]
	if !ok {
		return nil, fmt.Errorf("sending_queue::storage: extension %q not found", storageID)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("sending_queue::storage: %q is not a storage extension", storageID)
	}
	client, err := se.GetClient(ctx, component.KindExporter, owner, settledStorageName)
	if err != nil {
		return nil, fmt.Errorf("sending_queue::storage: %w", err)
	}
	s := &settledStore{client: client, logger: logger, now: now, ids: map[mapping.Digest]uint64{}, records: map[uint64]*settledRecord{}, next: 1}
	if err := s.load(ctx); err != nil {
		_ = client.Close(ctx)
		return nil, err
	}
	return s, nil
}

func (s *settledStore) load(ctx context.Context) error {
	index, err := s.client.Get(ctx, SettledIndexKey)
	if err != nil {
		return fmt.Errorf("reading the settled events of the persistent queue: %w", err)
	}
	var stale []*storage.Operation
	for len(index) > 0 {
		seq, n := binary.Uvarint(index)
		if n <= 0 {
			return errors.New("reading the settled events of the persistent queue: the index is damaged")
		}
		index = index[n:]
		s.next = max(s.next, seq+1)
		value, err := s.client.Get(ctx, settledKey(seq))
		if err != nil {
			return fmt.Errorf("reading the settled events of the persistent queue: %w", err)
		}
		written, ids, ok := decodeSettled(value)
		if !ok || s.now().Sub(written) > maxSettledAge || len(s.ids)+len(ids) > maxSettledEvents {
			s.logger.Warn("Forgetting settled events of a queued batch (too old, too many or unreadable): if their batch comes back, they are sent again",
				zap.Int("events", len(ids)), zap.Duration("max_age", maxSettledAge), zap.Int("max_events", maxSettledEvents))
			stale = append(stale, storage.DeleteOperation(settledKey(seq)))
			continue
		}
		s.add(seq, ids)
	}
	if len(stale) > 0 {
		stale = append(stale, s.indexOp())
		return s.client.Batch(ctx, stale...)
	}
	if len(s.ids) > 0 {
		s.logger.Info("Events of queued batches were settled before the last stop; they will not be sent again", zap.Int("events", len(s.ids)))
	}
	return nil
}

func (s *settledStore) add(seq uint64, ids []mapping.Digest) {
	r := s.records[seq]
	if r == nil {
		r = &settledRecord{}
		s.records[seq] = r
	}
	for _, id := range ids {
		if _, dup := s.ids[id]; !dup {
			s.ids[id] = seq
			r.ids = append(r.ids, id)
		}
	}
}

// holdsAny says whether any event is settled: while none is, a batch
// is not looked up.
func (s *settledStore) holdsAny() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ids) > 0
}

// skip takes the settled events out of a, the events of a batch. skipped
// lists them, for done.
func (s *settledStore) skip(a *mapping.Arrays) (skipped []mapping.Digest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ids) == 0 {
		return nil
	}
	a.Keep(func(i int) bool {
		d := a.Digest(i)
		_, settled := s.ids[d]
		if settled {
			skipped = append(skipped, d)
		}
		return !settled
	})
	return skipped
}

// settle records that ids, events of the batch whose record is *seq (0
// for none yet), are delivered or dead-lettered while others of it wait
// for a retry.
func (s *settledStore) settle(ctx context.Context, seq *uint64, ids []mapping.Digest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if room := maxSettledEvents - len(s.ids); len(ids) > room {
		s.logger.Warn("Too many settled events in queued batches to remember them all: if the collector stops before their batches are done, these are sent again after the restart",
			zap.Int("events", len(ids)-max(room, 0)), zap.Int("max_events", maxSettledEvents))
		ids = ids[:max(room, 0)]
	}
	if len(ids) == 0 {
		return
	}
	ops := make([]*storage.Operation, 0, 2)
	if *seq == 0 {
		*seq = s.next
		s.next++
		s.add(*seq, ids)
		ops = append(ops, s.indexOp())
	} else {
		s.add(*seq, ids)
	}
	ops = append(ops, storage.SetOperation(settledKey(*seq), encodeSettled(s.now(), s.records[*seq].ids)))
	if err := s.client.Batch(ctx, ops...); err != nil {
		s.logger.Warn("Could not record settled events of a queued batch: if the collector stops before the batch is done, they are sent again after the restart", zap.Error(err))
	}
}

// done forgets a finished batch: its own record (seq, 0 for none) and the
// events it skipped, which records of earlier runs hold.
func (s *settledStore) done(ctx context.Context, seq uint64, skipped []mapping.Digest) {
	if seq == 0 && len(skipped) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := map[uint64]bool{}
	if r := s.records[seq]; r != nil {
		for _, id := range r.ids {
			delete(s.ids, id)
		}
		r.ids = r.ids[:0]
		changed[seq] = true
	}
	for _, id := range skipped {
		if owner, ok := s.ids[id]; ok {
			delete(s.ids, id)
			changed[owner] = true
		}
	}
	var ops []*storage.Operation
	removed := false
	for owner := range changed {
		r := s.records[owner]
		live := r.ids[:0]
		for _, id := range r.ids {
			if s.ids[id] == owner {
				live = append(live, id)
			}
		}
		r.ids = live
		if len(live) == 0 {
			delete(s.records, owner)
			ops = append(ops, storage.DeleteOperation(settledKey(owner)))
			removed = true
			continue
		}
		ops = append(ops, storage.SetOperation(settledKey(owner), encodeSettled(s.now(), live)))
	}
	if removed {
		ops = append(ops, s.indexOp())
	}
	if err := s.client.Batch(ctx, ops...); err != nil {
		s.logger.Warn("Could not forget the settled events of a finished batch", zap.Error(err))
	}
}

func (s *settledStore) close(ctx context.Context) error {
	return s.client.Close(ctx)
}

// indexOp writes the list of records; s.mu is held.
func (s *settledStore) indexOp() *storage.Operation {
	var index []byte
	for seq := range s.records {
		index = binary.AppendUvarint(index, seq)
	}
	if len(index) == 0 {
		return storage.DeleteOperation(SettledIndexKey)
	}
	return storage.SetOperation(SettledIndexKey, index)
}

func settledKey(seq uint64) string {
	return settledKeyPrefix + strconv.FormatUint(seq, 10)
}

// encodeSettled writes a record: when it was written, then the ids.
func encodeSettled(now time.Time, ids []mapping.Digest) []byte {
	b := make([]byte, 8, 8+digestLen*len(ids))
	binary.LittleEndian.PutUint64(b, uint64(now.UnixNano()))
	for _, id := range ids {
		d := id.Bytes()
		b = append(b, d[:]...)
	}
	return b
}

func decodeSettled(b []byte) (time.Time, []mapping.Digest, bool) {
	if len(b) < 8 || (len(b)-8)%digestLen != 0 {
		return time.Time{}, nil, false
	}
	written := time.Unix(0, int64(binary.LittleEndian.Uint64(b)))
	ids := make([]mapping.Digest, 0, (len(b)-8)/digestLen)
	for b = b[8:]; len(b) > 0; b = b[digestLen:] {
		ids = append(ids, mapping.Digest{Hi: binary.BigEndian.Uint64(b), Lo: binary.BigEndian.Uint64(b[8:])})
	}
	return written, ids, true
}
