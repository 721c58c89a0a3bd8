package webhookexporter

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
)

// A max_size_mib whose bytes overflow an int64 (2^44 MiB gave a cap of 0,
// 2^43 a negative one) is refused at load, naming the field and the
// largest size allowed; the largest one itself is a positive cap.
func TestDeadLetterMaxSizeMiBOverflowIsRefusedAtLoad(t *testing.T) {
	load := func(mib int64) error {
		cfg := NewFactory().CreateDefaultConfig().(*Config)
		conf := confmap.NewFromStringMap(map[string]any{
			"endpoint":    "https://siem.example.com/webhook",
			"dead_letter": map[string]any{"enabled": true, "directory": t.TempDir(), "max_size_mib": mib},
		})
		require.NoError(t, conf.Unmarshal(cfg))
		return confmap.Validate(cfg)
	}
	const largest = 1<<43 - 1 // MiB: the bytes are 2^63 - 2^20
	for _, mib := range []int64{1 << 44, 1 << 43, largest + 1} {
		err := load(mib)
		require.ErrorContains(t, err, "dead_letter::max_size_mib", mib)
		assert.ErrorContains(t, err, "write a size from 1 to 8796093022207", mib)
	}
	require.NoError(t, load(largest))
}

// YAML's .nan passes configretry's checks; a NaN multiplier made every
// wait negative (retried at once). Refused at load, naming the field.
func TestRetryNaNIsRefusedAtLoad(t *testing.T) {
	for field, want := range map[string]string{
		"multiplier":           "retry_on_failure::multiplier: NaN is not a number; write a number such as 2",
		"randomization_factor": "retry_on_failure::randomization_factor: NaN is not a number",
	} {
		cfg := NewFactory().CreateDefaultConfig().(*Config)
		retrieved, err := confmap.NewRetrievedFromYAML([]byte("endpoint: https://siem.example.com/webhook\nretry_on_failure: {" + field + ": .nan}\n"))
		require.NoError(t, err)
		conf, err := retrieved.AsConf()
		require.NoError(t, err)
		require.NoError(t, conf.Unmarshal(cfg))
		assert.ErrorContains(t, confmap.Validate(cfg), want)
	}
}
