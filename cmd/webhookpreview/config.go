package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"go.opentelemetry.io/collector/confmap"
)

// loadConfig reads a collector configuration as the collector does, with
// file and env providers; an unset variable becomes a visible placeholder
// instead of an error, so a configuration can be previewed without its
// secrets.
func loadConfig(ctx context.Context, path string) (*confmap.Conf, error) {
	r, err := confmap.NewResolver(confmap.ResolverSettings{
		URIs: []string{"file:" + path},
		ProviderFactories: []confmap.ProviderFactory{
			confmap.NewProviderFactory(func(confmap.ProviderSettings) confmap.Provider { return fileProvider{} }),
			confmap.NewProviderFactory(func(confmap.ProviderSettings) confmap.Provider { return envProvider{} }),
		},
		DefaultScheme: "env",
	})
	if err != nil {
		return nil, err
	}
	return r.Resolve(ctx)
}

type fileProvider struct{}

func (fileProvider) Scheme() string                 { return "file" }
func (fileProvider) Shutdown(context.Context) error { return nil }
func (fileProvider) Retrieve(_ context.Context, uri string, _ confmap.WatcherFunc) (*confmap.Retrieved, error) {
	b, err := os.ReadFile(strings.TrimPrefix(uri, "file:"))
	if err != nil {
		return nil, err
	}
	return confmap.NewRetrievedFromYAML(b)
}

// envProvider resolves ${env:NAME} and ${env:NAME:-default} like the
// collector's env provider, but shows an unset NAME as <unset: NAME>.
type envProvider struct{}

func (envProvider) Scheme() string                 { return "env" }
func (envProvider) Shutdown(context.Context) error { return nil }
func (envProvider) Retrieve(_ context.Context, uri string, _ confmap.WatcherFunc) (*confmap.Retrieved, error) {
	name, def, hasDef := strings.Cut(strings.TrimPrefix(uri, "env:"), ":-")
	val, ok := os.LookupEnv(name)
	switch {
	case ok && val != "":
		return confmap.NewRetrievedFromYAML([]byte(val))
	case hasDef:
		return confmap.NewRetrievedFromYAML([]byte(def))
	default:
		return confmap.NewRetrieved("<unset: " + name + ">")
	}
}

// pickExporter returns the id and settings of the webhook exporter named
// id, or of the only one.
func pickExporter(conf *confmap.Conf, id string) (string, *confmap.Conf, error) {
	exps, err := conf.Sub("exporters")
	if err != nil {
		return "", nil, err
	}
	var ids []string
	for _, k := range exps.AllKeys() {
		top, _, _ := strings.Cut(k, confmap.KeyDelimiter)
		if (top == "webhook" || strings.HasPrefix(top, "webhook/")) && !contains(ids, top) {
			ids = append(ids, top)
		}
	}
	for k := range exps.ToStringMap() {
		if (k == "webhook" || strings.HasPrefix(k, "webhook/")) && !contains(ids, k) {
			ids = append(ids, k)
		}
	}
	sort.Strings(ids)
	switch {
	case id != "":
		if !contains(ids, id) {
			return "", nil, fmt.Errorf("no webhook exporter %q in the configuration (it has %v)", id, ids)
		}
	case len(ids) == 1:
		id = ids[0]
	case len(ids) == 0:
		return "", nil, errors.New("the configuration has no webhook exporter")
	default:
		return "", nil, fmt.Errorf("the configuration has several webhook exporters %v: pick one with -exporter", ids)
	}
	sub, err := exps.Sub(id)
	return id, sub, err
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
