//go:generate bash ../internal/tools/mdatagen.sh

// Package auth is the webhookauth extension: an HTTP client authenticator
// for the webhook exporter (or any confighttp client) that adds an API
// key, a Bearer token, Basic credentials, an HMAC signature or an OAuth2
// client-credentials token to every request.
package auth // import "github.com/sentyr/webhookexporter/auth"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/extension"

	"github.com/sentyr/webhookexporter/auth/internal/metadata"
)

// NewFactory returns the factory of the webhookauth extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(
		metadata.Type,
		createDefaultConfig,
		createExtension,
		metadata.ExtensionStability,
	)
}

// createDefaultConfig configures no method: the user picks one. The
// defaults below apply only to the section the user writes.
func createDefaultConfig() component.Config {
	return &Config{
		APIKey: configoptional.Default(APIKeyConfig{Header: defaultAPIKeyHeader}),
		Basic:  configoptional.Default(BasicConfig{}),
		HMAC: configoptional.Default(HMACConfig{
			Scheme: SchemeSortedJSON,
			Header: defaultSignatureHeader,
		}),
		GoogleServiceAccount: configoptional.Default(GoogleServiceAccountConfig{
			Timeout:      defaultTokenTimeout,
			ExpiryBuffer: defaultExpiryBuffer,
		}),
		OAuth2: configoptional.Default(OAuth2Config{
			Timeout:      defaultTokenTimeout,
			ExpiryBuffer: defaultExpiryBuffer,
		}),
	}
}

func createExtension(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newAuthenticator(cfg.(*Config), set.TelemetrySettings)
}
