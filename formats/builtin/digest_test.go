package builtin

import (
	"testing"
	"time"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// A storm of 300 events of one type within a window: the first After go
// as they are, the rest become one digest at the window's end that says
// how many and shows the first of them; another type is not touched.
func TestDigestFoldsAStormIntoOneEvent(t *testing.T) {
	d := NewDigester(DigestConfig{After: 3, Window: time.Minute})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sent, folded := 0, 0
	for i := range 300 {
		ev := serviceEvent(t, "n", i)
		ev.ID = string(rune('a'+i%26)) + "0123456789abcdef0123456789abcde"
		if i == 7 {
			ev.Severity = formats.SeverityCritical
		}
		if d.Admit(&ev, t0.Add(time.Duration(i)*100*time.Millisecond)) {
			sent++
		} else {
			folded++
		}
		ev.Data[0].Value.SetInt(-1) // the exporter reuses the record
	}
	other := serviceEvent(t, "k", "v")
	other.Type = "pii_detected"
	assert.True(t, d.Admit(&other, t0.Add(time.Second)))
	assert.Equal(t, 3, sent)
	assert.Equal(t, 297, folded)
	assert.Equal(t, 297, d.Pending())
	assert.Empty(t, d.Due(t0.Add(59*time.Second)), "the window has not ended")

	due := d.Due(t0.Add(time.Minute))
	require.Len(t, due, 1, "one digest for the window")
	dg := due[0]
	assert.Equal(t, "file_shared_externally", dg.Type)
	assert.Equal(t, formats.SeverityCritical, dg.Severity, "the worst severity folded")
	assert.Equal(t, "digest_count", dg.Data[0].Key)
	assert.Equal(t, int64(297), dg.Data[0].Value.Int())
	assert.Equal(t, "1m0s", dg.Data[1].Value.Str())
	assert.Equal(t, "n", dg.Data[2].Key)
	assert.Equal(t, int64(3), dg.Data[2].Value.Int(), "the first folded event, copied before the record was reused")
	assert.Equal(t, "d0123456789abcdef0123456789abcde", dg.ID)
	assert.Zero(t, d.Pending())
	assert.Empty(t, d.Due(t0.Add(time.Hour)))

	// Each format encodes the digest as any event; body sends records as
	// they came, and a digest is no record.
	for _, b := range Builtins() {
		if b.Name == "body" {
			continue
		}
		s, err := tableSettings(b)
		require.NoError(t, err)
		enc, err := b.New(s)
		require.NoError(t, err)
		batch, err := enc.Encode([]formats.Event{dg})
		require.NoError(t, err, b.Name)
		assert.NotEmpty(t, batch.Requests, b.Name)
	}
}

// A window that ends while events keep coming hands its digest over and
// starts another; a digester keeps a bounded number of types.
func TestDigestWindowsAndTypesAreBounded(t *testing.T) {
	d := NewDigester(DigestConfig{After: 1, Window: time.Second})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ev := serviceEvent(t, "k", "v")
	assert.True(t, d.Admit(&ev, t0))
	assert.False(t, d.Admit(&ev, t0.Add(500*time.Millisecond)))
	assert.True(t, d.Admit(&ev, t0.Add(time.Second)), "a new window")
	assert.False(t, d.Admit(&ev, t0.Add(1500*time.Millisecond)))
	due := d.Due(t0.Add(1600 * time.Millisecond))
	require.Len(t, due, 1, "the first window's digest; the second's is not due")
	assert.Equal(t, int64(1), due[0].Data[0].Value.Int())
	assert.Len(t, d.Due(t0.Add(2*time.Second)), 1)

	many := NewDigester(DigestConfig{After: 1, Window: time.Minute})
	for i := range digestMaxTypes + 10 {
		e := formats.Event{Type: string(rune(0x4e00 + i)), Body: pcommon.NewValueEmpty()}
		assert.True(t, many.Admit(&e, t0))
	}
	assert.Len(t, many.windows, digestMaxTypes)
	assert.Nil(t, NewDigester(DigestConfig{}), "off")
	assert.True(t, (*Digester)(nil).Admit(&ev, t0))
}

func TestDigestCheck(t *testing.T) {
	assert.NoError(t, DigestConfig{}.Check())
	assert.NoError(t, DigestConfig{After: 5, Window: time.Minute}.Check())
	assert.ErrorContains(t, DigestConfig{After: 5}.Check(), "digest::window: not set")
	assert.ErrorContains(t, DigestConfig{After: -1}.Check(), "digest::after: -1 is negative")
	assert.ErrorContains(t, DigestConfig{After: 1, Window: time.Millisecond}.Check(), "under a second")
}
