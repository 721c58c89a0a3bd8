package builtin

import (
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
)

// tableSettings are the settings of b's exporter sending to its service,
// as its table entry gives them.
func tableSettings(b Builtin) (*Settings, error) {
	return settingsOf(b, b.Service.Settings)
}

// settingsOf are the settings of b's exporter sending to its service,
// configured as conf says.
func settingsOf(b Builtin, conf map[string]any) (*Settings, error) {
	s := &Settings{Endpoint: "https://receiver.example.com" + b.Service.Path, Source: "sentyr"}
	// Other settings of the exporter (headers) are not the formats'.
	return s, confmap.NewFromStringMap(conf).Unmarshal(s, confmap.WithIgnoreUnused())
}

// builtinEncoders are the encoders of every built-in format, built from
// their table entries, and of every document each carries ("json/ocsf"),
// with the variants given (by name, replacing a format's own): a format
// and its documents are in them by being in the table.
func builtinEncoders(variants map[string]Encoder) map[string]Encoder {
	out := map[string]Encoder{}
	for _, b := range Builtins() {
		for _, doc := range append([]string{""}, b.Documents...) {
			s, err := tableSettings(b)
			if err != nil {
				panic(fmt.Sprintf("%s: %v", b.Name, err))
			}
			s.Document = doc
			name := b.Name
			if doc != "" {
				name += "/" + doc
			}
			if out[name], err = b.New(s); err != nil {
				panic(fmt.Sprintf("%s: %v", name, err))
			}
		}
	}
	maps.Copy(out, variants)
	return out
}

// Every built-in format describes its service, with settings that its
// Check accepts: the stand-ins and the suites built from the table can
// run it.
func TestEveryBuiltinDescribesItsService(t *testing.T) {
	for _, b := range Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			svc := b.Service
			require.NotEmpty(t, svc.Path, "Service.Path")
			require.NotEmpty(t, svc.Body, "Service.Body")
			require.NotNil(t, svc.Accept, "Service.Accept")
			require.NotZero(t, svc.Refuse.Status, "Service.Refuse")
			s, err := tableSettings(b)
			require.NoError(t, err)
			require.NoError(t, b.Check(s))
			// A credential in the body (PagerDuty's routing key) has no header value.
			if b.Credential != nil && b.Credential.Header != "" && svc.TestSecret != "" {
				require.Contains(t, svc.CredentialValue, svc.TestSecret)
			}
		})
	}
}

// Each section of the configuration is named after the format that reads
// it: a section belongs to a format of the table.
func TestEverySectionIsAFormats(t *testing.T) {
	typ := reflect.TypeFor[Sections]()
	for i := range typ.NumField() {
		if typ.Field(i).Type.Kind() != reflect.Struct {
			continue // a setting every format reads (document)
		}
		name := typ.Field(i).Tag.Get("mapstructure")
		_, ok := LookupBuiltin(name)
		require.True(t, ok, "section %q (Sections.%s) is no built-in format's name", name, typ.Field(i).Name)
	}
}

// Each format's encoder states what its service needs besides the bodies:
// the credential of its own setting in its header, and a reader of the
// answers that speak for each event.
func TestEveryEncoderStatesItsWire(t *testing.T) {
	for _, b := range Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			s, err := tableSettings(b)
			require.NoError(t, err)
			enc, err := b.New(s)
			require.NoError(t, err)
			wire := enc.Wire()
			if c := b.Credential; c != nil && c.Field != "" && c.Header != "" && b.Service.TestSecret != "" {
				require.NotNil(t, wire.Headers, "the credential of %s is set by Wire.Headers", c.Field)
				h := http.Header{}
				wire.Headers(h)
				require.Equal(t, b.Service.CredentialValue, h.Get(c.Header))
			}
			if b.Service.AnswerEach != nil {
				require.NotNil(t, wire.ReadAnswer, "the service answers for each event")
				answer := b.Service.AnswerEach([]int{201, 400})
				results := wire.ReadAnswer(&Request{Events: []int{0, 1}}, answer.Status, []byte(answer.Body))
				require.Len(t, results, 2)
				require.Equal(t, Delivered, results[0].Outcome)
				require.Equal(t, Drop, results[1].Outcome)
			}
		})
	}
}
