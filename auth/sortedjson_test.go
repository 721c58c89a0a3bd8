package auth

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer/consumererror"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

const seedSecret = "your-secret-key"

// seedPayloads are request bodies the guide's receiver must accept. Each
// holds "abc" so that a test can change one byte and keep valid JSON.
var seedPayloads = map[string]string{
	"seed example":        `{"timestamp":"2025-10-29T12:00:00Z","source":"sentyr","event_type":"file_shared_externally","severity":"warning","data":{"file_id":"abc123","file_name":"sensitive.pdf","owner":"user@example.com","shared_with":"external@partner.com"}}`,
	"non-ASCII text":      `{"owner":"Zoë Ångström","city":"Москва","file":"報告書.pdf","id":"abc"}`,
	"emoji":               `{"note":"shared 🔥 by 👩‍💻","id":"abc"}`,
	"floats":              `{"one":1.0,"tiny":1e-7,"tenth":0.1,"big":1e16,"neg":-2.50,"id":"abc"}`,
	"large integers":      `{"n":123456789012345678901234567890,"m":-9007199254740993,"id":"abc"}`,
	"nested maps, lists":  `{"z":{"y":[1,{"b":[],"a":{}}],"x":null},"a":[true,false],"id":"abc"}`,
	"quotes, backslashes": `{"q":"say \"hi\"","path":"C:\\Users\\abc","re":"\\d+\"","tab":"a\tb"}`,
	"batch array":         `[{"event_type":"a","id":"abc"},{"event_type":"b","data":{"k":1.5}}]`,
}

func hmacCfg(c HMACConfig) *Config {
	cfg := createDefaultConfig().(*Config)
	h := cfg.HMAC.GetOrInsertDefault()
	if c.Scheme != "" {
		h.Scheme = c.Scheme
	}
	h.Secret, h.Secrets, h.SecretFile = c.Secret, c.Secrets, c.SecretFile
	if c.Header != "" {
		h.Header = c.Header
	}
	h.Prefix, h.TimestampHeader = c.Prefix, c.TimestampHeader
	return cfg
}

type seedCase struct {
	Body      []byte `json:"body"`
	Encoding  string `json:"encoding"`
	Signature string `json:"signature"`
	Secret    string `json:"secret"`
	want      string
	name      string
}

// TestSortedJSONSchemeVerifiedByPython sends every payload through a confighttp
// client with the extension, uncompressed and gzipped, and has the guide's
// own Python verify_signature check what arrived. One byte changed in the
// body or in the signature must be rejected.
func TestSortedJSONSchemeVerifiedByPython(t *testing.T) {
	var cases []seedCase
	for _, compression := range []configcompression.Type{"", configcompression.TypeGzip} {
		rec := testsink.NewRecorder(t, nil)
		ext, _ := startExtension(t, hmacCfg(HMACConfig{Secret: seedSecret}))
		client := clientWith(t, ext, rec.URL, compression)
		for _, payload := range seedPayloads {
			post(t, client, rec.URL, []byte(payload), nil, http.StatusOK)
		}
		for i, got := range rec.Requests() {
			enc := got.Header.Get("Content-Encoding")
			require.Equal(t, string(compression), enc)
			sig := got.Header.Get("X-Signature")
			require.Len(t, sig, 64, "hex HMAC-SHA256")
			name := string(compression) + "#" + string(rune('0'+i))
			cases = append(cases,
				seedCase{Body: got.Raw, Encoding: enc, Signature: sig, Secret: seedSecret, want: "ok", name: name},
				seedCase{Body: changeOneByte(t, got.Raw, enc), Encoding: enc, Signature: sig, Secret: seedSecret,
					want: "rejected: signature mismatch", name: name + " body changed"},
				seedCase{Body: got.Raw, Encoding: enc, Signature: flipHex(sig), Secret: seedSecret,
					want: "rejected: signature mismatch", name: name + " signature changed"},
				seedCase{Body: got.Raw, Encoding: enc, Signature: sig, Secret: seedSecret + "x",
					want: "rejected: signature mismatch", name: name + " other secret"},
			)
		}
	}
	require.Len(t, cases, 4*2*len(seedPayloads))

	inputs := make([]any, len(cases))
	for i := range cases {
		inputs[i] = cases[i]
	}
	for i, verdict := range runPython(t, "verify_seed.py", inputs) {
		assert.Equal(t, cases[i].want, verdict, cases[i].name)
	}
}

// changeOneByte changes the "abc" of the payload to "abd", keeping the
// JSON valid, and compresses again as the request was.
func changeOneByte(t testing.TB, body []byte, encoding string) []byte {
	t.Helper()
	plain, err := decodeContent(encoding, body)
	require.NoError(t, err)
	i := bytes.Index(plain, []byte("abc"))
	require.GreaterOrEqual(t, i, 0)
	changed := bytes.Clone(plain)
	changed[i+2] = 'd'
	if encoding != "gzip" {
		return changed
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err = zw.Write(changed)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func flipHex(sig string) string {
	last := sig[len(sig)-1]
	repl := "0"
	if last == '0' {
		repl = "1"
	}
	return sig[:len(sig)-1] + repl
}

// TestSortedJSONSchemeEveryCompression checks that the signature covers the
// payload, not its compressed form, for every confighttp compression,
// and that the compressed bytes go out unchanged.
func TestSortedJSONSchemeEveryCompression(t *testing.T) {
	payload := []byte(seedPayloads["non-ASCII text"])
	for _, compression := range []configcompression.Type{
		"", configcompression.TypeGzip, configcompression.TypeZstd, configcompression.TypeDeflate,
		configcompression.TypeZlib, configcompression.TypeSnappy, configcompression.TypeSnappyFramed, configcompression.TypeLz4,
	} {
		t.Run("compression="+string(compression), func(t *testing.T) {
			rec := testsink.NewRecorder(t, nil)
			ext, _ := startExtension(t, hmacCfg(HMACConfig{Secret: seedSecret}))
			post(t, clientWith(t, ext, rec.URL, compression), rec.URL, payload, nil, http.StatusOK)
			got := rec.Requests()
			require.Len(t, got, 1)
			assert.Equal(t, string(compression), got[0].Header.Get("Content-Encoding"))
			if compression != "" {
				assert.NotEqual(t, payload, got[0].Raw, "the body goes out compressed")
			}
			plain, err := decodeContent(string(compression), got[0].Raw)
			require.NoError(t, err)
			assert.Equal(t, payload, plain, "the compressed bytes are the payload's")
			assert.True(t, VerifySortedJSON(payload, got[0].Header.Get("X-Signature"), seedSecret))
		})
	}
}

// TestSortedJSONSchemeRotation signs with both secrets, comma-separated, and
// a receiver holding either secret accepts.
func TestSortedJSONSchemeRotation(t *testing.T) {
	rec := testsink.NewRecorder(t, nil)
	ext, _ := startExtension(t, hmacCfg(HMACConfig{Secrets: []configopaque.String{"old-key", "new-key"}}))
	payload := []byte(seedPayloads["seed example"])
	post(t, clientWith(t, ext, rec.URL, ""), rec.URL, payload, nil, http.StatusOK)
	sig := rec.Requests()[0].Header.Get("X-Signature")
	require.Len(t, strings.Split(sig, ","), 2)
	for _, tt := range []struct {
		secret string
		want   bool
	}{{"old-key", true}, {"new-key", true}, {"other-key", false}} {
		assert.Equal(t, tt.want, VerifySortedJSON(payload, sig, tt.secret), tt.secret)
	}
}

// TestSortedJSONSchemeRefusesNonJSON: a body Python cannot load cannot be
// signed for the guide's receiver; the error is permanent and names the
// way out, and nothing is sent.
func TestSortedJSONSchemeRefusesNonJSON(t *testing.T) {
	rec := testsink.NewRecorder(t, nil)
	ext, _ := startExtension(t, hmacCfg(HMACConfig{Secret: seedSecret}))
	client := clientWith(t, ext, rec.URL, "")
	req, err := http.NewRequest(http.MethodPost, rec.URL, strings.NewReader("{\"a\":1}\n{\"b\":2}\n"))
	require.NoError(t, err)
	_, err = client.Do(req)
	require.ErrorContains(t, err, "scheme raw")
	assert.True(t, consumererror.IsPermanent(err), "retrying the same body cannot help")
	assert.Empty(t, rec.Requests())
}

// TestSortedJSONSchemeAlias: scheme seed, sorted_json's name in earlier
// releases, validates and signs exactly as sorted_json does.
func TestSortedJSONSchemeAlias(t *testing.T) {
	payload := []byte(seedPayloads["seed example"])
	sigs := map[string]string{}
	for _, scheme := range []string{SchemeSortedJSON, "seed"} {
		cfg := hmacCfg(HMACConfig{Scheme: scheme, Secret: seedSecret})
		require.NoError(t, cfg.Validate(), scheme)
		rec := testsink.NewRecorder(t, nil)
		ext, _ := startExtension(t, cfg)
		post(t, clientWith(t, ext, rec.URL, ""), rec.URL, payload, nil, http.StatusOK)
		sigs[scheme] = rec.Requests()[0].Header.Get("X-Signature")
		assert.True(t, VerifySortedJSON(payload, sigs[scheme], seedSecret), scheme)
	}
	assert.Equal(t, sigs[SchemeSortedJSON], sigs["seed"])
}
