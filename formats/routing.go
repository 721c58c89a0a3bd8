package formats

import (
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Attributes that route an event within one endpoint, under the names the
// collector-contrib Splunk and Elasticsearch components read.
const (
	AttrSplunkIndex      = "com.splunk.index"
	AttrSplunkSourcetype = "com.splunk.sourcetype"
	AttrSplunkSource     = "com.splunk.source"
	AttrHostName         = "host.name"
	AttrElasticIndex     = "elasticsearch.index"
)

// attributeValue is the value of attribute key for ev: from the event's
// data, which holds its record's attributes (and the keys of a map body),
// else from its resource. Only scalars route; an empty string does not.
// A scan of the fields: linear in the event, as the rest of its encoding.
func attributeValue(ev *Event, key string) (string, bool) {
	for i := range ev.Data {
		if ev.Data[i].Key == key {
			return routingString(ev.Data[i].Value)
		}
	}
	// An event made outside the mapping may have no resource map at all.
	if ev.Resource == (pcommon.Map{}) {
		return "", false
	}
	if v, ok := ev.Resource.Get(key); ok {
		return routingString(v)
	}
	return "", false
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
			return fmt.Errorf("%s[%d]: empty attribute name; write an attribute whose value becomes a tag, e.g. %s, or remove it", field, i, AttrHostName)
		}
	}
	return nil
}

// appendAttributeTags appends, for every attribute of attrs that ev has,
// one tag "<attribute>:<value>" to a JSON array of tags being written.
func appendAttributeTags(dst []byte, ev *Event, attrs []string) []byte {
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
func (a *eventAttr) get(ev *Event) (string, bool) {
	for i := range ev.Data {
		if ev.Data[i].Key == a.key {
			return routingString(ev.Data[i].Value)
		}
	}
	if !a.set || a.resource != ev.Resource {
		a.resource, a.set, a.value, a.ok = ev.Resource, true, "", false
		if ev.Resource != (pcommon.Map{}) {
			if v, ok := ev.Resource.Get(a.key); ok {
				a.value, a.ok = routingString(v)
			}
		}
	}
	return a.value, a.ok
}

// appendFieldsWithout is AppendFields leaving out the member key: an
// attribute that routed the event and is not its data. Of keys written
// the same, the first is kept, as AppendFields keeps it.
func appendFieldsWithout(dst []byte, fields []Field, key string) []byte {
	dst = append(dst, '{')
	var keys objectKeys
	comma := false
	for i, f := range fields {
		if f.Key == key {
			continue
		}
		mark := len(dst)
		if comma {
			dst = append(dst, ',')
		}
		start := len(dst)
		dst = AppendString(dst, f.Key)
		if w := dst[start:]; !keys.quick(w, f.Key) && !keys.freshInFields(w, f.Key, fields[:i], nil) {
			dst = dst[:mark]
			continue
		}
		comma = true
		dst = append(dst, ':')
		dst = AppendValue(dst, f.Value)
	}
	return append(dst, '}')
}
