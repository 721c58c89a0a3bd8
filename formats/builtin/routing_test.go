package builtin

import (
	"encoding/json"
	"testing"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// With routing, an incorrect index (code 7) refuses the events of that
// index only: the others after it are sent again, not dropped.
func TestHECIncorrectIndexDropsOnlyThatIndex(t *testing.T) {
	var events []formats.Event
	for _, index := range []string{"good", "gone", "good", "gone"} {
		events = append(events, serviceEvent(t, attrSplunkIndex, index))
	}
	enc := newSplunkHEC(SplunkHECConfig{})
	batch, err := enc.Encode(events)
	require.NoError(t, err)
	require.Len(t, batch.Requests, 1)
	results := enc.ReadResponse(&batch.Requests[0], 400, []byte(`{"text":"Incorrect index","code":7,"invalid-event-number":1}`))
	require.Len(t, results, 4)
	assert.Equal(t, Delivered, results[0].Outcome)
	assert.Equal(t, Drop, results[1].Outcome)
	assert.Equal(t, Retry, results[2].Outcome)
	assert.Equal(t, Drop, results[3].Outcome)
}

// The resource's route is remembered per resource, not carried over to
// the events of another.
func TestHECRouteOfEachResource(t *testing.T) {
	a, b := pcommon.NewMap(), pcommon.NewMap()
	a.PutStr(attrSplunkIndex, "a")
	b.PutStr(attrHostName, "host-b")
	enc := newSplunkHEC(SplunkHECConfig{Index: "main"})
	var events []formats.Event
	for _, res := range []pcommon.Map{a, a, b, a} {
		ev := serviceEvent(t)
		ev.Resource = res
		events = append(events, ev)
	}
	batch, err := enc.Encode(events)
	require.NoError(t, err)
	objs := splitHEC(t, batch.Requests[0].Body)
	var got [][2]any
	for _, o := range objs {
		got = append(got, [2]any{o["index"], o["host"]})
	}
	assert.Equal(t, [][2]any{{"a", "sentyr"}, {"a", "sentyr"}, {"main", "host-b"}, {"a", "sentyr"}}, got)
}

func TestDatadogTagAttributes(t *testing.T) {
	ev := serviceEvent(t, "user.name", "alice", "port", int64(443))
	ev.Resource = pcommon.NewMap()
	ev.Resource.PutStr("cloud.region", "eu-west-1")
	enc := newDatadog(DatadogConfig{Tags: []string{"env:prod"}, TagAttributes: []string{"user.name", "port", "cloud.region", "absent"}})
	var got struct{ Tags []string }
	require.NoError(t, json.Unmarshal(enc.AppendEvent(nil, &ev), &got))
	assert.Equal(t, []string{"event_type:file_shared_externally", "severity:warning", "source:sentyr", "env:prod",
		"user.name:alice", "port:443", "cloud.region:eu-west-1"}, got.Tags)
	require.ErrorContains(t, (&DatadogConfig{TagAttributes: []string{""}}).check(), "datadog::tag_attributes[0]")
}
