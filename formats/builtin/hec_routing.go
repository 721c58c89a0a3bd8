package builtin

import (
	"github.com/sentyr/webhookexporter/formats"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// hecRoute is where one HEC event goes, from its attributes; an empty
// member falls back to the settings.
type hecRoute struct {
	index, sourcetype, source, host string
}

func (r *hecRoute) routed() bool {
	return r.index != "" || r.sourcetype != "" || r.source != "" || r.host != ""
}

// hecRoutingAttributes are the attributes that route a HEC event.
var hecRoutingAttributes = [...]string{attrSplunkIndex, attrSplunkSourcetype, attrSplunkSource, attrHostName}

// isHECRouting says whether key is an attribute that routes a HEC event:
// it goes in the envelope, not in the event's data (unless the data member
// is the body's: content, which routes nothing).
func isHECRouting(key string) bool {
	// Most keys are data: all four start with c or h, and are 9 bytes
	// or longer. It runs twice for every field of every event.
	if len(key) < len(attrHostName) || key[0] != 'c' && key[0] != 'h' {
		return false
	}
	switch key {
	case attrSplunkIndex, attrSplunkSourcetype, attrSplunkSource, attrHostName:
		return true
	}
	return false
}

// hecRouter finds the route of each event of a batch. The events of one
// resource share its attributes, so the resource's route is read once per
// resource, not once per event.
type hecRouter struct {
	resource pcommon.Map
	fromRes  hecRoute
	set      bool
}

// route reads ev's routing attributes: its record's first, then its
// resource's; never its body. A nil router reads the resource every time.
func (h *hecRouter) route(ev *formats.Event) hecRoute {
	var r hecRoute
	if ev.Attributes != (pcommon.Map{}) {
		for k, v := range ev.Attributes.All() {
			if isHECRouting(k) {
				s, _ := routingString(v)
				r.set(k, s)
			}
		}
	}
	res := h.resourceRoute(ev.Resource)
	if r.index == "" {
		r.index = res.index
	}
	if r.sourcetype == "" {
		r.sourcetype = res.sourcetype
	}
	if r.source == "" {
		r.source = res.source
	}
	if r.host == "" {
		r.host = res.host
	}
	return r
}

func (r *hecRoute) set(key, v string) {
	switch key {
	case attrSplunkIndex:
		r.index = v
	case attrSplunkSourcetype:
		r.sourcetype = v
	case attrSplunkSource:
		r.source = v
	case attrHostName:
		r.host = v
	}
}

func (h *hecRouter) resourceRoute(res pcommon.Map) hecRoute {
	if h != nil && h.set && h.resource == res {
		return h.fromRes
	}
	var r hecRoute
	if res != (pcommon.Map{}) {
		for _, key := range hecRoutingAttributes {
			if v, ok := res.Get(key); ok {
				s, _ := routingString(v)
				r.set(key, s)
			}
		}
	}
	if h != nil {
		h.resource, h.fromRes, h.set = res, r, true
	}
	return r
}
