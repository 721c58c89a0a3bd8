package formats

import (
	"errors"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func echoType(ev *Event) ([]byte, error) {
	return AppendString(nil, ev.Type), nil
}

// textFormatter announces its own content type.
type textFormatter struct{}

func (textFormatter) Format(ev *Event) ([]byte, error) { return []byte("type=" + ev.Type), nil }
func (textFormatter) ContentType() string              { return "text/plain" }

func TestRegisterPanicsOnMistakes(t *testing.T) {
	r := &registry{}
	r.register("alert", FormatterFunc(echoType))
	tests := []struct {
		name string
		f    Formatter
		want string
	}{
		{"alert", FormatterFunc(echoType), "already registered"},
		{"json", FormatterFunc(echoType), "built-in format"},
		{"custom", FormatterFunc(echoType), "built-in format"},
		{"body", FormatterFunc(echoType), "built-in format"},
		{"", FormatterFunc(echoType), "lowercase letters"},
		{"My Alert", FormatterFunc(echoType), "lowercase letters"},
		{"nil", nil, "nil"},
		{"nil-func", FormatterFunc(nil), "nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				p := recover()
				require.NotNil(t, p, "Register must panic")
				assert.Contains(t, p.(interface{ Error() string }).Error(), tt.want)
			}()
			r.register(tt.name, tt.f)
		})
	}
	assert.Equal(t, []string{"alert"}, r.names())
}

func TestLookupWrapsTheFormatterOneRequestPerEvent(t *testing.T) {
	r := &registry{}
	r.register("echo", FormatterFunc(echoType))
	r.register("text", textFormatter{})
	r.register("broken", FormatterFunc(func(ev *Event) ([]byte, error) {
		switch ev.Type {
		case "error":
			return nil, errors.New("no alert for this event")
		case "panic":
			panic("formatter bug")
		case "invalid":
			return []byte(`{"a": `), nil
		}
		return []byte(`{"ok":true}`), nil
	}))
	assert.Equal(t, []string{"broken", "echo", "text"}, r.names())

	_, ok := r.lookup("missing")
	assert.False(t, ok)

	enc, ok := r.lookup("echo")
	require.True(t, ok)
	assert.Equal(t, "application/json", enc.ContentType())
	batch, err := enc.Encode([]Event{{Type: "a"}, {Type: `b"`}})
	require.NoError(t, err)
	assert.True(t, batch.Concurrent)
	require.Len(t, batch.Requests, 2)
	assert.Equal(t, `"a"`, string(batch.Requests[0].Body))
	assert.Equal(t, `"b\""`, string(batch.Requests[1].Body))
	assert.Equal(t, []int{1}, batch.Requests[1].Events)

	enc, _ = r.lookup("text")
	assert.Equal(t, "text/plain", enc.ContentType())
	batch, _ = enc.Encode([]Event{{Type: "not json"}})
	require.Len(t, batch.Requests, 1, "a text formatter's output is not checked as JSON")
	assert.Equal(t, "type=not json", string(batch.Requests[0].Body))

	enc, _ = r.lookup("broken")
	batch, err = enc.Encode([]Event{{Type: "error"}, {Type: "fine"}, {Type: "panic"}, {Type: "invalid"}})
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
	Register(name, FormatterFunc(echoType))
	assert.Contains(t, Registered(), name)
	enc, ok := Lookup(name)
	require.True(t, ok)
	batch, err := enc.Encode([]Event{{Type: "x"}})
	require.NoError(t, err)
	assert.Equal(t, `"x"`, string(batch.Requests[0].Body))
}
