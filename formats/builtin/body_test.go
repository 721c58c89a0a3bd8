package builtin

import (
	"testing"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func bodyEvent(t testing.TB, set func(v pcommon.Value)) formats.Event {
	t.Helper()
	v := pcommon.NewValueEmpty()
	set(v)
	return formats.Event{ID: "id", Body: v}
}

func TestBodyEncoder(t *testing.T) {
	mapBody := func(v pcommon.Value) {
		require.NoError(t, v.SetEmptyMap().FromRaw(map[string]any{"alert": map[string]any{"type": "pii_detected", "user": `x", "admin": true, "y": "` + "\xff"}}))
	}
	tests := []struct {
		name        string
		contentType string
		set         func(v pcommon.Value)
		want        string // the body sent, or "" when rejected
		reason      string
	}{
		{"map as JSON", "", mapBody, `{"alert":{"type":"pii_detected","user":"x\", \"admin\": true, \"y\": \"\ufffd"}}`, ""},
		{"list as JSON", "", func(v pcommon.Value) { require.NoError(t, v.SetEmptySlice().FromRaw([]any{"ssn", int64(1)})) }, `["ssn",1]`, ""},
		{"JSON string as is", "", func(v pcommon.Value) { v.SetStr(` {"shaped": "upstream"} `) }, ` {"shaped": "upstream"} `, ""},
		{"number", "", func(v pcommon.Value) { v.SetInt(42) }, `42`, ""},
		{"text string refused as JSON", "", func(v pcommon.Value) { v.SetStr(`user "bob" logged in`) }, "", "set body::content_type"},
		{"empty body refused", "", func(pcommon.Value) {}, "", "the record has no body"},
		{"text string as is", "text/plain", func(v pcommon.Value) { v.SetStr("user \"bob\"\n\xff") }, "user \"bob\"\n\xff", ""},
		{"bytes as is", "application/octet-stream", func(v pcommon.Value) { v.SetEmptyBytes().FromRaw([]byte{0, 1, 0xff}) }, "\x00\x01\xff", ""},
		{"map under another type is still JSON", "text/plain", mapBody, `{"alert":{"type":"pii_detected","user":"x\", \"admin\": true, \"y\": \"\ufffd"}}`, ""},
		{"bytes that are not JSON refused", "", func(v pcommon.Value) { v.SetEmptyBytes().FromRaw([]byte{0xff}) }, "", "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := BodyConfig{ContentType: tt.contentType}
			require.NoError(t, cfg.check())
			enc := newBody(cfg)
			if tt.contentType == "" {
				assert.Equal(t, "application/json", enc.ContentType())
			} else {
				assert.Equal(t, tt.contentType, enc.ContentType())
			}
			neighbour := bodyEvent(t, func(v pcommon.Value) { v.SetEmptyMap().PutStr("n", "intact") })
			batch, err := enc.Encode([]formats.Event{bodyEvent(t, tt.set), neighbour})
			require.NoError(t, err)
			assert.True(t, batch.Concurrent)
			last := batch.Requests[len(batch.Requests)-1]
			assert.Equal(t, `{"n":"intact"}`, string(last.Body), "the other event is unaffected")
			assert.Equal(t, []int{1}, last.Events)
			if tt.want == "" {
				require.Len(t, batch.Rejected, 1)
				assert.Equal(t, 0, batch.Rejected[0].Index)
				assert.Contains(t, batch.Rejected[0].Err.Error(), tt.reason)
				require.Len(t, batch.Requests, 1)
				return
			}
			require.Empty(t, batch.Rejected)
			require.Len(t, batch.Requests, 2)
			if tt.want[0] == '{' {
				// A map from FromRaw has no fixed key order.
				assert.JSONEq(t, tt.want, string(batch.Requests[0].Body))
				assert.Contains(t, string(batch.Requests[0].Body), `"user":"x\", \"admin\": true, \"y\": \"\ufffd"`)
			} else {
				assert.Equal(t, tt.want, string(batch.Requests[0].Body))
			}
			assert.Equal(t, []int{0}, batch.Requests[0].Events)
		})
	}
}

func TestBodyCheck(t *testing.T) {
	for _, ct := range []string{"json", "text/plain; charset", "/"} {
		err := (&BodyConfig{ContentType: ct}).check()
		require.Error(t, err, ct)
		assert.Contains(t, err.Error(), "body::content_type")
	}
	assert.NoError(t, (&BodyConfig{}).check())
	assert.NoError(t, (&BodyConfig{ContentType: "application/cloudevents+json; charset=utf-8"}).check())
}
