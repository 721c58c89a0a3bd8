package formats

// CustomConfig configures the custom (template) format.
type CustomConfig struct {
	_ struct{}
}

// Check checks the template settings.
func (c *CustomConfig) Check() error { return nil }
