package hecack

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/testsink/hecsink"
)

// BenchmarkAck is what acknowledgement costs a sender, against the same
// sends without it in the same run: requests of 50 events to the strict
// stand-in, a poll interval for every 100 requests. It reports the
// requests (sends and ack queries) per event; compare ns/op between the
// two as a ratio. The stand-in's own work is in both.
func BenchmarkAck(b *testing.B) {
	const per, perInterval = 50, 100
	for _, ack := range []bool{false, true} {
		name := map[bool]string{false: "without", true: "with"}[ack]
		b.Run(name, func(b *testing.B) {
			sink := hecsink.New(b, token, ack)
			at := newAckTest(b, sink.Endpoint(), builtin.HECAckConfig{MaxPending: perInterval})
			if !ack {
				at.acker.Close()
				at.acker = nil
			}
			evs := events(0, per)
			ctx := context.Background()
			pending := make([]*Ticket, 0, perInterval)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				tk, err := at.send(ctx, evs)
				require.NoError(b, err)
				pending = append(pending, tk)
				if len(pending) < perInterval && i < b.N-1 {
					continue
				}
				if ack {
					at.tick()
				}
				for _, tk := range pending {
					require.True(b, tk.Wait(ctx).Delivered())
					tk.Release()
				}
				pending = pending[:0]
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N+len(sink.Queries()))/float64(b.N*per), "requests/event")
		})
	}
}
