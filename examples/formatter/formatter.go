// Package formatter is the guide's "Custom Template (Python Function)" as a
// Go formatter. A custom collector build imports it for its init function:
//
//	import _ "github.com/sentyr/webhookexporter/examples/formatter"
//
// and selects it in the exporter's config with `format: alert`.
package formatter // import "github.com/sentyr/webhookexporter/examples/formatter"

import "github.com/sentyr/webhookexporter/formats"

// Name is the format name that selects Alert.
const Name = "alert"

func init() {
	formats.Register(Name, formats.FormatterFunc(Alert))
}

// Alert is the guide's custom_formatter:
//
//	{"alert_type": event_type, "alert_severity": severity, "alert_timestamp": timestamp,
//	 "alert_data": event_data, "alert_source": "sentyr"}
//
// It writes with the formats.Append helpers, which always produce valid JSON
// (hostile strings stay inside their string, invalid UTF-8 becomes U+FFFD)
// and cost no reflection per event.
func Alert(ev *formats.Event) ([]byte, error) {
	b := make([]byte, 0, 256)
	b = append(b, `{"alert_type":`...)
	b = formats.AppendString(b, ev.Type)
	b = append(b, `,"alert_severity":`...)
	b = formats.AppendString(b, ev.Severity)
	b = append(b, `,"alert_timestamp":`...)
	b = formats.AppendTime(b, ev.Timestamp)
	b = append(b, `,"alert_data":`...)
	b = formats.AppendFields(b, ev.Data)
	b = append(b, `,"alert_source":"sentyr"}`...)
	return b, nil
}
