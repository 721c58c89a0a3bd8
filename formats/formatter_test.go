package formats

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/formats/internal/registry"
)

func echoType(ev *Event) ([]byte, error) {
	return AppendString(nil, ev.Type), nil
}

func TestRegisterPanicsOnMistakes(t *testing.T) {
	r := &registry.Registry{}
	require.NoError(t, r.Reserve("json", "custom", "body"))
	register(r, "alert", FormatterFunc(echoType))
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
			register(r, tt.name, tt.f)
		})
	}
	assert.Equal(t, []string{"alert"}, r.Names())
}
