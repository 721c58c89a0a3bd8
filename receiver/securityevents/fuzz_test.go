package securityevents

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// FuzzDecodeEvents checks the receiver's JSON reading against
// encoding/json: a body it accepts is JSON objects (one, an array or a
// stream) to encoding/json too, with the same event types and the same
// data, value for value; whatever it refuses, the message is bounded
// valid UTF-8.
func FuzzDecodeEvents(f *testing.F) {
	for _, seed := range []string{
		guideEvent,
		"[" + guideEvent + "," + guideEvent + "]",
		guideEvent + "\n" + guideEvent,
		`{"type": "a", "event_data": {"x": [1, -2.5e3, "\u00e9\ud83d\ude00", true, null, {}], "x": 0}}`,
		`{"event_type": "a", "data": {"s": "\x80\"\\/\b\f\n\r\t"}}`,
		`[]`, `{"event_type": "a", "data": null}`, `{"event_type": "a", "data": {"n": 1e400}}`,
		`{"event_type": "a", "data": {"n": 12345678901234567890}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		logs, err := decodeEvents(body, testNow)
		if err != nil {
			msg := err.Error()
			require.True(t, utf8.ValidString(msg), "%q", msg)
			require.Less(t, len(msg), 400, msg)
			return
		}
		want, ok := stdEvents(body)
		require.True(t, ok, "accepted what encoding/json does not read as events: %q", body)
		var got []map[string]any
		for _, rl := range logs.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					ev := map[string]any{"event_type": lr.EventName()}
					if lr.Body().Type() == 0 {
						ev["data"] = nil
					} else {
						ev["data"] = lr.Body().AsRaw()
					}
					got = append(got, ev)
				}
			}
		}
		require.Equal(t, want, got, "%q", body)
	})
}

// stdEvents reads body with encoding/json: each event's type and data
// (numbers as the receiver keeps them), or false when it is not JSON
// objects in one of the three shapes.
func stdEvents(body []byte) ([]map[string]any, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var objects []map[string]any
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '[' {
		if dec.Decode(&objects) != nil {
			return nil, false
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return nil, false
		}
	} else {
		for {
			var obj map[string]any
			err := dec.Decode(&obj)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil || obj == nil {
				return nil, false
			}
			objects = append(objects, obj)
		}
	}
	out := []map[string]any{}
	for _, obj := range objects {
		typ, _ := obj["event_type"].(string)
		if typ == "" {
			typ, _ = obj["type"].(string)
		}
		data := obj["data"]
		if d, ok := obj["event_data"]; ok {
			data = d
		}
		out = append(out, map[string]any{"event_type": typ, "data": numbers(data)})
	}
	if len(out) == 0 {
		return nil, true
	}
	return out, true
}

// numbers turns json.Number into int64 where it fits, else float64.
func numbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, item := range t {
			t[k] = numbers(item)
		}
	case []any:
		for i, item := range t {
			t[i] = numbers(item)
		}
	case json.Number:
		if i, err := t.Int64(); err == nil && !strings.ContainsAny(string(t), ".eE") {
			return i
		}
		f, _ := t.Float64()
		return f
	}
	return v
}
