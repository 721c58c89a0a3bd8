package builtin

import (
	"errors"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/registry"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func echoType(ev *formats.Event) ([]byte, error) {
	return formats.AppendString(nil, ev.Type), nil
}

// textFormatter announces its own content type.
type textFormatter struct{}

func (textFormatter) Format(ev *formats.Event) ([]byte, error) { return []byte("type=" + ev.Type), nil }
func (textFormatter) ContentType() string                      { return "text/plain" }

func TestEveryBuiltinNameIsReserved(t *testing.T) {
	for _, b := range Builtins() {
		assert.PanicsWithError(t, `formats.Register("`+b.Name+`"): that is a built-in format; choose another name`, func() {
			formats.Register(b.Name, formats.FormatterFunc(echoType))
		}, b.Name)
	}
}

func TestLookupWrapsTheFormatterOneRequestPerEvent(t *testing.T) {
	r := &registry.Registry{}
	require.NoError(t, r.Add("echo", formats.FormatterFunc(echoType)))
	require.NoError(t, r.Add("text", textFormatter{}))
	require.NoError(t, r.Add("broken", formats.FormatterFunc(func(ev *formats.Event) ([]byte, error) {
		switch ev.Type {
		case "error":
			return nil, errors.New("no alert for this event")
		case "panic":
			panic("formatter bug")
		case "invalid":
			return []byte(`{"a": `), nil
		}
		return []byte(`{"ok":true}`), nil
	})))
	assert.Equal(t, []string{"broken", "echo", "text"}, r.Names())

	_, ok := lookupIn(r, "missing")
	assert.False(t, ok)

	enc, ok := lookupIn(r, "echo")
	require.True(t, ok)
	assert.Equal(t, "application/json", enc.ContentType())
	batch, err := enc.Encode([]formats.Event{{Type: "a"}, {Type: `b"`}})
	require.NoError(t, err)
	assert.True(t, batch.Concurrent)
	require.Len(t, batch.Requests, 2)
	assert.Equal(t, `"a"`, string(batch.Requests[0].Body))
	assert.Equal(t, `"b\""`, string(batch.Requests[1].Body))
	assert.Equal(t, []int{1}, batch.Requests[1].Events)

	enc, _ = lookupIn(r, "text")
	assert.Equal(t, "text/plain", enc.ContentType())
	batch, _ = enc.Encode([]formats.Event{{Type: "not json"}})
	require.Len(t, batch.Requests, 1, "a text formatter's output is not checked as JSON")
	assert.Equal(t, "type=not json", string(batch.Requests[0].Body))

	enc, _ = lookupIn(r, "broken")
	batch, err = enc.Encode([]formats.Event{{Type: "error"}, {Type: "fine"}, {Type: "panic"}, {Type: "invalid"}})
	require.NoError(t, err)
	require.Len(t, batch.Requests, 1)
	assert.Equal(t, []int{1}, batch.Requests[0].Events)
	require.Len(t, batch.Rejected, 3)
	reasons := map[int]string{}
	for _, rj := range batch.Rejected {
		reasons[rj.Index] = rj.Err.Error()
	}
	assert.Equal(t, `formatter "broken": no alert for this event`, reasons[0])
	assert.Equal(t, `formatter "broken" panicked: formatter bug`, reasons[2])
	assert.Contains(t, reasons[3], `formatter "broken": the payload is not valid JSON`)
}

// packageRegistrations keeps names unique when the test runs with -count.
var packageRegistrations atomic.Int64

func TestPackageRegistry(t *testing.T) {
	name := "formats-test-echo-" + strconv.FormatInt(packageRegistrations.Add(1), 10)
	formats.Register(name, formats.FormatterFunc(echoType))
	assert.Contains(t, Registered(), name)
	enc, ok := Lookup(name)
	require.True(t, ok)
	batch, err := enc.Encode([]formats.Event{{Type: "x"}})
	require.NoError(t, err)
	assert.Equal(t, `"x"`, string(batch.Requests[0].Body))
}
