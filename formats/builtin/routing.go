package builtin

import (
	"fmt"
	"strings"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/jsonw"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Attributes that route an event within one endpoint, under the names the
// collector-contrib Splunk and Elasticsearch components read.
const (
	attrSplunkIndex      = "com.splunk.index"
	attrSplunkSourcetype = "com.splunk.sourcetype"
	attrSplunkSource     = "com.splunk.source"
	attrHostName         = "host.name"
	attrElasticIndex     = "elasticsearch.index"
)

// attributeValue is the value of attribute key for ev: from its record's
// attributes, else from its resource's. Its body is event content, written
// by whoever sends the event, and never routes, whatever its keys are
// called. Only scalars route; an empty string does not.
func attributeValue(ev *formats.Event, key string) (string, bool) {
	if v, ok := mapValue(ev.Attributes, key); ok {
		return routingString(v)
	}
	if v, ok := mapValue(ev.Resource, key); ok {
		return routingString(v)
	}
	return "", false
}

// mapValue is m.Get(key) for a map that an event made outside the mapping
// may not have at all.
func mapValue(m pcommon.Map, key string) (pcommon.Value, bool) {
	if m == (pcommon.Map{}) {
		return pcommon.Value{}, false
	}
	return m.Get(key)
}

// isContent says whether ev's data member key is its body's: content, kept
// in the data even under a routing attribute's name. A data member of that
// name that is not the body's is the attribute that routed the event.
func isContent(ev *formats.Event, key string) bool {
	if ev.Body == (pcommon.Value{}) || ev.Body.Type() != pcommon.ValueTypeMap {
		return false
	}
	_, ok := ev.Body.Map().Get(key)
	return ok
}

func routingString(v pcommon.Value) (string, bool) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return v.Str(), v.Str() != ""
	case pcommon.ValueTypeInt, pcommon.ValueTypeDouble, pcommon.ValueTypeBool:
		return v.AsString(), true
	}
	return "", false
}

// checkTagAttributes checks a list of attributes whose values become tags.
func checkTagAttributes(field string, attrs []string) error {
	for i, a := range attrs {
		if strings.TrimSpace(a) == "" {
			return fmt.Errorf("%s[%d]: empty attribute name; write an attribute whose value becomes a tag, e.g. %s, or remove it", field, i, attrHostName)
		}
	}
	return nil
}

// appendAttributeTags appends, for every attribute of attrs that ev has,
// one tag "<attribute>:<value>" to a JSON array of tags being written.
func appendAttributeTags(dst []byte, ev *formats.Event, attrs []string) []byte {
	for _, a := range attrs {
		if v, ok := attributeValue(ev, a); ok {
			dst = append(dst, ',')
			dst = appendJoined(dst, a, ':', v)
		}
	}
	return dst
}

// eventAttr reads one routing attribute of a batch's events, remembering
// the last resource's value: the events of one resource share it.
type eventAttr struct {
	key      string
	resource pcommon.Map
	value    string
	ok, set  bool
}

// get is attributeValue(ev, a.key) through the memo.
func (a *eventAttr) get(ev *formats.Event) (string, bool) {
	if v, ok := mapValue(ev.Attributes, a.key); ok {
		return routingString(v)
	}
	if !a.set || a.resource != ev.Resource {
		a.resource, a.set, a.value, a.ok = ev.Resource, true, "", false
		if v, ok := mapValue(ev.Resource, a.key); ok {
			a.value, a.ok = routingString(v)
		}
	}
	return a.value, a.ok
}

// appendFieldsWithout is AppendFields leaving out the member key where it
// is the attribute that routed ev, not its content. Of keys written the
// same, the first is kept, as AppendFields keeps it.
func appendFieldsWithout(dst []byte, ev *formats.Event, key string) []byte {
	dst = append(dst, '{')
	dst = jsonw.AppendMembersWhere(dst, ev.Data, false, func(k string) bool { return k == key && !isContent(ev, key) })
	return append(dst, '}')
}
