package builtin

// arrayPacker packs encoded entries, in order, into requests whose bodies
// are JSON arrays of at most maxBytes bytes and maxEntries entries (0: no
// bound on entries): the layout of services that take a batch as an array
// and refuse a request over their limits (Sentinel, Datadog Logs). An
// entry too large for a request on its own goes alone in one; the
// encoders cut their entries so that this does not happen.
type arrayPacker struct {
	maxBytes, maxEntries int
	indices              []int
	buf                  []byte
	// The request being filled starts at byte start and entry first.
	start, first, next int
	requests           []Request
}

func newArrayPacker(n, maxBytes, maxEntries int, buf []byte) arrayPacker {
	return arrayPacker{maxBytes: maxBytes, maxEntries: maxEntries, indices: make([]int, n), buf: buf}
}

// add appends the next entry. Entries are written on their own first (in
// a scratch buffer) because only their size says whether they still fit
// the open request.
func (p *arrayPacker) add(entry []byte) {
	at := p.next
	p.next++
	p.indices[at] = at
	p.buf = growBody(p.buf)
	if at > p.first {
		full := p.maxEntries > 0 && at-p.first >= p.maxEntries
		if full || len(p.buf)-p.start+1+len(entry)+1 > p.maxBytes {
			p.close(at)
		} else {
			p.buf = append(p.buf, ',')
		}
	}
	if at == p.first {
		p.buf = append(p.buf, '[')
	}
	p.buf = append(p.buf, entry...)
}

// close ends the open request before entry at.
func (p *arrayPacker) close(at int) {
	p.buf = append(p.buf, ']')
	end := len(p.buf)
	p.requests = append(p.requests, Request{Body: p.buf[p.start:end:end], Events: p.indices[p.first:at:at]})
	p.start, p.first = end, at
}

// finish closes the last request and returns them all.
func (p *arrayPacker) finish() []Request {
	if p.next > p.first {
		p.close(p.next)
	}
	return p.requests
}
