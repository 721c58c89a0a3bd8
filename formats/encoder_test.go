package formats

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/zeebo/xxh3"
)

func TestRequestKey(t *testing.T) {
	events := []Event{
		{ID: "0123456789abcdef0123456789abcdef"},
		{ID: "fedcba9876543210fedcba9876543210"},
		{ID: "00000000000000000000000000000000"},
	}
	// The key of several events is their ids' digest, as it has been
	// since the first release: a retry after an upgrade keeps its key.
	digest := xxh3.Hash128([]byte(events[0].ID + events[2].ID)).Bytes()
	for _, tc := range []struct {
		name   string
		events []int
		want   string
	}{
		{"one event: its id", []int{1}, events[1].ID},
		{"several: the digest of their ids in order", []int{0, 2}, hex.EncodeToString(digest[:])},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, RequestKey(events, &Request{Events: tc.events}))
		})
	}
	assert.NotEqual(t, RequestKey(events, &Request{Events: []int{0, 2}}), RequestKey(events, &Request{Events: []int{2, 0}}))
}
