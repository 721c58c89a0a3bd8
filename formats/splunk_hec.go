package formats

// SplunkHECConfig configures the Splunk HEC format.
type SplunkHECConfig struct {
	_ struct{}
}

// Check checks the Splunk HEC settings.
func (c *SplunkHECConfig) Check() error { return nil }
