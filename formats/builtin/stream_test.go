package builtin

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/stretchr/testify/require"
)

// A stream fed a batch in parts of any sizes gives exactly the batch that
// Encode gives for all of it at once: the same requests, bodies, event
// lists and request boundaries (HEC's split by size falls inside parts).
func TestStreamInPartsIsEncode(t *testing.T) {
	events := make([]formats.Event, 300)
	for i := range events {
		events[i] = serviceEvent(t, "n", i, "note", strings.Repeat("x", i%37), "seen", fmt.Sprintf("user%d@example.com", i%7))
		events[i].ID = fmt.Sprintf("%032x", i)
		events[i].Type = []string{"file_shared_externally", "pii_detected", "login"}[i%3]
		events[i].Timestamp = serviceSeedTime.Add(time.Duration(i) * 7 * time.Millisecond)
	}
	// Every built-in format that streams, and the variants of some.
	encoders := map[string]Encoder{
		"json ndjson":        newJSON(JSONConfig{Batch: jsonNDJSON}),
		"json object":        newJSON(JSONConfig{Batch: jsonObject}),
		"json include_id":    newJSON(JSONConfig{IncludeID: true}),
		"splunk_hec, splits": newSplunkHEC(SplunkHECConfig{MaxRequestBytes: minHECMaxRequestBytes}),
		"elastic _doc":       elasticFor(t, ElasticConfig{}, "https://es.example.com/security/_doc"),
	}
	for name, enc := range builtinEncoders(nil) {
		if enc.Wire().Stream != nil {
			encoders[name] = enc
		}
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for name, enc := range encoders {
		t.Run(name, func(t *testing.T) {
			for _, n := range []int{0, 1, 2, 65, len(events)} {
				whole, err := enc.Encode(events[:n])
				require.NoError(t, err)
				want := copyBatch(whole)
				whole.Release()

				stream := enc.Wire().Stream(n)
				for at := 0; at < n; {
					part := min(n-at, 1+rng.IntN(80))
					stream.Add(events[at : at+part])
					at += part
				}
				got := stream.Finish()
				require.Equal(t, want, copyBatch(got), "%d events", n)
				got.Release()
			}
		})
	}
}

// copyBatch is what a batch says, apart from the buffer behind it.
func copyBatch(b Batch) Batch {
	out := Batch{Concurrent: b.Concurrent, Rejected: b.Rejected}
	for _, r := range b.Requests {
		out.Requests = append(out.Requests, Request{Body: append([]byte(nil), r.Body...), Events: append([]int(nil), r.Events...)})
	}
	return out
}
