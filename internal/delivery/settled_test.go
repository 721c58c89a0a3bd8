package delivery

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/sentyr/webhookexporter/internal/mapping"
	"github.com/sentyr/webhookexporter/internal/memstorage"
)

// TestSettledStoreSkipsByEventIDAcrossBatches checks that the store keys
// events, not batches: a batch that comes back merged with other events
// (sending_queue::batch) or split still skips what was settled, and the
// store is empty once the events are done.
func TestSettledStoreSkipsByEventIDAcrossBatches(t *testing.T) {
	disk := memstorage.New()
	client, err := disk.GetClient(context.Background(), component.KindExporter, component.MustNewID("webhook"), settledStorageName)
	require.NoError(t, err)
	s := &settledStore{client: client, logger: zap.NewNop(), now: time.Now, ids: map[mapping.Digest]uint64{}, records: map[uint64]*settledRecord{}, next: 1}
	ld := numbered(6, 0)
	var all []mapping.Digest
	for _, id := range eventIDs(t, ld) {
		all = append(all, digestOf(t, id))
	}
	var record uint64
	s.settle(context.Background(), &record, all[:3])

	// Reloaded, as at the next start.
	loaded := &settledStore{client: client, logger: zap.NewNop(), now: time.Now, ids: map[mapping.Digest]uint64{}, records: map[uint64]*settledRecord{}, next: 1}
	require.NoError(t, loaded.load(context.Background()))
	merged := numbered(6, 0)
	numbered(2, 1).ResourceLogs().MoveAndAppendTo(merged.ResourceLogs())
	m := &mapping.Mapper{Now: time.Now}
	var rest mapping.Arrays
	m.MapInto(merged, &rest, nil)
	skipped := loaded.skip(&rest)
	assert.Equal(t, 5, len(rest.Events), "three skipped of eight")
	assert.Len(t, skipped, 3)

	loaded.done(context.Background(), 0, skipped)
	assert.Empty(t, loaded.ids)
	assert.False(t, disk.Has(SettledIndexKey), "the store is empty on disk too")
	rest = mapping.Arrays{}
	m.MapInto(ld, &rest, nil)
	skipped = loaded.skip(&rest)
	assert.Equal(t, 6, len(rest.Events))
	assert.Nil(t, skipped)
}

// digestOf reads an event id back into its digest.
func digestOf(t *testing.T, id string) mapping.Digest {
	t.Helper()
	b, err := hex.DecodeString(id)
	require.NoError(t, err)
	require.Len(t, b, digestLen)
	return mapping.Digest{Hi: binary.BigEndian.Uint64(b), Lo: binary.BigEndian.Uint64(b[8:])}
}

// BenchmarkSettledRecordAlone is the store's own work for BenchmarkSettledStore's
// partial batch, without the push around it: the ids of 50 of its 100
// events, recorded, then forgotten when the batch is done.
func BenchmarkSettledRecordAlone(b *testing.B) {
	ld := numbered(100, 200)
	disk := memstorage.New()
	s := &settledStore{client: disk, logger: zap.NewNop(), now: time.Now, ids: map[mapping.Digest]uint64{}, records: map[uint64]*settledRecord{}, next: 1}
	rl := ld.ResourceLogs().At(0)
	sl := rl.ScopeLogs().At(0)
	b.ReportAllocs()
	for b.Loop() {
		scratch, scope := mapping.ScopeDigest(nil, rl.Resource().Attributes(), sl.Scope().Name())
		ids := make([]mapping.Digest, 0, 50)
		for i := 0; i < sl.LogRecords().Len(); i += 2 {
			var d mapping.Digest
			scratch, d = mapping.RecordDigest(scratch, scope, sl.LogRecords().At(i))
			ids = append(ids, d)
		}
		var record uint64
		s.settle(context.Background(), &record, ids)
		s.done(context.Background(), record, nil)
	}
}

// numbered is a batch of n records told apart by their "seq" attribute,
// with pad bytes of padding.
func numbered(n int, pad int) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for i := range n {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(1)
		lr.Attributes().PutInt("seq", int64(i))
		lr.Attributes().PutStr("pad", strings.Repeat("x", pad))
	}
	return ld
}

// eventIDs are the ids that the mapping gives the events of ld.
func eventIDs(t *testing.T, ld plog.Logs) []string {
	t.Helper()
	var ids []string
	for _, ev := range (&mapping.Mapper{Now: time.Now}).Events(ld, nil) {
		ids = append(ids, ev.ID)
	}
	return ids
}
