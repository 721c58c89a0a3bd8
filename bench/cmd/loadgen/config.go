package main

import (
	"encoding/json"
	"maps"
	"net"
	"strconv"
)

// nop is the baseline's exporter: the collector core's nopexporter drops
// what it gets at no cost of its own, so the load minus the baseline is
// the exporter's share (the debug exporter, the earlier baseline, spends
// CPU on printing).
const nop = "nop"

// pipelineSpec is one collector of a run: where its events come from, the
// exporter they go to (a format, or nop), and the receiver's settings in
// the file mode.
type pipelineSpec struct {
	mode      string // "otlp" or "file"
	exporter  string // a format name, or nop
	otlpAddr  string // the OTLP/HTTP receiver; in the file mode it only tells that the collector is up
	sinkURL   string
	filePath  string // the file mode's JSONL file
	metrics   string // host:port of the collector's Prometheus metrics, "" for none
	pprofAddr string // host:port of the pprof extension, "" for none
	variant   receiverVariant
	consumers int
	shared    bool // the nop exporter is in the format's pipeline too
}

// collectorConfig is the collector's config as JSON, which YAML reads as
// it is: the receivers of the mode, the exporter, the collector's own
// logs at warn and its metrics off (or, in the file mode, on a loopback
// port: the count of accepted records tells when the nop baseline is done).
func collectorConfig(p pipelineSpec) string {
	receivers := map[string]any{
		"otlp": map[string]any{"protocols": map[string]any{"http": map[string]any{"endpoint": p.otlpAddr}}},
	}
	names := []string{"otlp"}
	if p.mode == "file" {
		receivers["filelog"] = p.variant.receiver(p.filePath)
		names = []string{"filelog", "otlp"}
	}
	exporters := map[string]any{nop: map[string]any{}}
	pipeline := []string{nop}
	if p.exporter != nop {
		exporters["webhook"] = webhookSettings(p)
		pipeline = []string{"webhook"}
		if p.shared {
			pipeline = append(pipeline, nop)
		}
	}
	telemetry := map[string]any{
		"logs":    map[string]any{"level": "warn"},
		"metrics": map[string]any{"level": "none"},
	}
	if p.metrics != "" {
		host, port := splitHostPort(p.metrics)
		telemetry["metrics"] = map[string]any{"level": "basic", "readers": []any{map[string]any{
			"pull": map[string]any{"exporter": map[string]any{"prometheus": map[string]any{"host": host, "port": port}}},
		}}}
	}
	service := map[string]any{
		"telemetry": telemetry,
		"pipelines": map[string]any{"logs": map[string]any{"receivers": names, "exporters": pipeline}},
	}
	cfg := map[string]any{"receivers": receivers, "exporters": exporters, "service": service}
	if p.pprofAddr != "" {
		cfg["extensions"] = map[string]any{"pprof": map[string]any{"endpoint": p.pprofAddr}}
		service["extensions"] = []string{"pprof"}
	}
	raw, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		panic(err) // maps of strings, numbers and lists always marshal
	}
	return string(raw) + "\n"
}

// webhookSettings is the webhook exporter's config for the spec's format.
func webhookSettings(p pipelineSpec) map[string]any {
	dest := destinations[p.exporter]
	settings := map[string]any{"endpoint": p.sinkURL, "format": p.exporter}
	maps.Copy(settings, dest.settings)
	queue := map[string]any{"num_consumers": p.consumers}
	if p.variant.exporterBatch > 0 {
		queue["batch"] = map[string]any{"flush_timeout": "200ms", "sizer": "items",
			"min_size": p.variant.exporterBatch, "max_size": p.variant.exporterBatch}
	}
	settings["sending_queue"] = queue
	return settings
}

// splitHostPort splits a loopback address made by freeLoopbackAddr.
func splitHostPort(addr string) (string, int) {
	host, port, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(port)
	return host, n
}
