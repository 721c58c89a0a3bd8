package builtin

// AnswerBytes is the most of an answer the exporter reads to judge it,
// whatever its Content-Encoding (Go's transport decompresses a gzip answer
// as it is read, so this counts decompressed bytes). The rest is read off
// the connection up to as much again, or the connection is closed.
const AnswerBytes = 64 << 10

// BulkItemAnswerBytes is what a _bulk answer may take per document on top
// of AnswerBytes: an item with its error and cause, as Elasticsearch
// writes them, fits with room to spare.
const BulkItemAnswerBytes = 2 << 10

// AnswerBytes is the elastic Wire.AnswerBytes: a _bulk answer is judged per item,
// so its bound grows with the documents of the request.
func (e *elasticEncoder) AnswerBytes(req *Request) int64 {
	if !e.bulk {
		return AnswerBytes
	}
	return AnswerBytes + BulkItemAnswerBytes*int64(len(req.Events))
}
