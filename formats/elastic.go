package formats

// ElasticConfig configures the Elasticsearch (ECS) format.
type ElasticConfig struct {
	_ struct{}
}

// Check checks the Elasticsearch settings against the endpoint, whose
// path (_doc or _bulk) decides how events are sent.
func (c *ElasticConfig) Check(endpoint string) error { return nil }
