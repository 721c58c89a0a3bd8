package webhookexporter

import (
	"strings"

	"go.uber.org/zap"

	"github.com/sentyr/webhookexporter/internal/configcheck"
)

// warnSettings logs, once at start, settings that load fine but are unsafe
// or will not work with the real service. None of them stops the exporter:
// each has a legitimate use (a test receiver, a compatible service that
// takes no credential). endpoint is the sender's, as log lines show it.
func warnSettings(cfg *Config, endpoint string, logger *zap.Logger) {
	if cfg.ClientConfig.TLS.InsecureSkipVerify {
		logger.Warn("tls::insecure_skip_verify is true: the receiver's certificate is not checked, so anyone on the path "+
			"can read and change the events and the credentials; set tls::ca_file to the CA that signed it instead",
			zap.String("endpoint", endpoint))
	}
	if creds := cfg.credentials(); len(creds) > 0 {
		for _, u := range []string{cfg.ClientConfig.Endpoint, cfg.ConnectionCheck.Endpoint} {
			if u != "" && configcheck.ClearText(u) {
				logger.Warn("Credentials go over plain http:// to a host that is not this machine; anyone on the path can read them. "+
					"Use an https:// endpoint",
					zap.String("url", cfg.shownURL(u)), zap.String("credentials", strings.Join(creds, ", ")))
			}
		}
	}
	if missing := cfg.missingCredential(); missing != "" {
		// The collector has resolved the config: a credential written as
		// ${env:NAME} with NAME unset is empty here, and only the
		// collector's own warning names NAME.
		logger.Warn("No credential configured: "+missing+
			"; if it is written as ${env:NAME}, that variable is unset or empty (the collector's warning "+
			"\"Configuration references unset environment variable\" names it); "+
			"the real service refuses every request without one (some compatible receivers accept them)",
			zap.String("format", cfg.Format), zap.String("endpoint", endpoint))
	}
}
