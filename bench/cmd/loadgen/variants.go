package main

import "maps"

// receiverVariant is one way of configuring the filelog receiver (and the
// exporter's batching) for the JSONL file of the file mode.
type receiverVariant struct {
	name string
	// settings are filelog settings over fileBase's; operators, when not
	// nil, replace fileOperators.
	settings  map[string]any
	operators []any
	// featureGates go to the collector's --feature-gates.
	featureGates string
	// exporterBatch, when above 0, turns on sending_queue::batch with this
	// min_size and max_size in events.
	exporterBatch int
}

// fileOperators turn a line into the event the exporter reads: the line's
// members become attributes (event_type and severity are the ones the
// exporter maps), its timestamp the record's time, and the data the map body.
var fileOperators = []any{
	map[string]any{"type": "json_parser", "timestamp": map[string]any{
		"parse_from": "attributes.timestamp", "layout_type": "gotime", "layout": "2006-01-02T15:04:05.999999999Z07:00",
	}},
	// The parser leaves the timestamp among the attributes, which would
	// put it in every event's data a second time.
	map[string]any{"type": "remove", "field": "attributes.timestamp"},
	map[string]any{"type": "move", "from": "attributes.data", "to": "body"},
}

// receiver is the filelog config of the variant for the file at path.
func (v receiverVariant) receiver(path string) map[string]any {
	r := map[string]any{
		"include": []string{path},
		// The file is new to the receiver: read it whole.
		"start_at": "beginning",
		// Otherwise log.file.name joins every event's data.
		"include_file_name": false,
		// A full sending queue would otherwise make the receiver drop the
		// batch it holds (and log an error): this pauses the file instead.
		"retry_on_failure": map[string]any{"enabled": true},
		"operators":        fileOperators,
	}
	if v.operators != nil {
		r["operators"] = v.operators
	}
	maps.Copy(r, v.settings)
	return r
}

// defaultVariant is what the file mode of the table runs: the settings of
// examples/file-input.yaml, the exporter gathering the receiver's batches
// of 100 lines into requests of 1,000 events.
var defaultVariant = receiverVariant{name: "json_parser + timestamp, remove, move (file-input.yaml)", exporterBatch: 1000}

// fileVariants are what -variants measures, each with the nop exporter
// unless it batches in the exporter; the first is the reference of the
// others in each round.
var fileVariants = []receiverVariant{
	defaultVariant,
	{name: "json_parser + move only (no timestamp parsing)", operators: []any{
		map[string]any{"type": "json_parser"},
		map[string]any{"type": "move", "from": "attributes.data", "to": "body"},
	}},
	{name: "json_parser with timestamp, no remove", operators: []any{fileOperators[0], fileOperators[2]}},
	{name: "json_parser parse_ints: true", operators: []any{
		withSetting(fileOperators[0], "parse_ints", true), fileOperators[1], fileOperators[2],
	}},
	{name: "include_file_name: true (the receiver's default)", settings: map[string]any{"include_file_name": true}},
	{name: "encoding: utf-8-raw", settings: map[string]any{"encoding": "utf-8-raw"}},
	{name: "poll_interval: 50ms", settings: map[string]any{"poll_interval": "50ms"}},
	{name: "poll_interval: 1s", settings: map[string]any{"poll_interval": "1s"}},
	{name: "initial_buffer_size: 256KiB, max_log_size: 64KiB", settings: map[string]any{"initial_buffer_size": "256KiB", "max_log_size": "64KiB"}},
	{name: "fingerprint_size: 64", settings: map[string]any{"fingerprint_size": "64"}},
	{name: "stanza.synchronousLogEmitter gate", featureGates: "stanza.synchronousLogEmitter"},
}

func withSetting(op any, k string, v any) map[string]any {
	m := maps.Clone(op.(map[string]any))
	m[k] = v
	return m
}
