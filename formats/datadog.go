package formats

// DatadogConfig configures the Datadog Events API format.
type DatadogConfig struct {
	_ struct{}
}

// Check checks the Datadog settings.
func (c *DatadogConfig) Check() error { return nil }
