package formats

import (
	"math/rand/v2"
	"testing"
	"time"
)

// One memo across a run of timestamps that repeat, revisit and leave
// seconds, in several zones and beyond the memo's range, must write what
// AppendTime and AppendEpoch write for each alone.
func TestStampMemoWritesWhatTheFormattersWrite(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	zones := []*time.Location{time.UTC, time.FixedZone("CEST", 2*3600), time.FixedZone("NST", -(3*3600 + 1800))}
	seconds := []int64{0, 1, 59, 1761739200, 1761739201, maxStampSec - 1, maxStampSec, -1, -62135596800, 951782400}
	var memo stampMemo
	for range 50000 {
		sec := seconds[rng.IntN(len(seconds))]
		if rng.IntN(4) == 0 {
			sec = rng.Int64N(maxStampSec)
		}
		var ns int64
		switch rng.IntN(3) {
		case 0:
			ns = rng.Int64N(1e9)
		case 1:
			ns = rng.Int64N(1000) * 1e6
		}
		ts := time.Unix(sec, ns).In(zones[rng.IntN(len(zones))])
		if got, want := string(memo.appendTime([]byte("x"), ts)), "x"+string(AppendTime(nil, ts)); got != want {
			t.Fatalf("%v: appendTime wrote %s, AppendTime %s", ts, got, want)
		}
		if got, want := string(memo.appendEpoch([]byte("x"), ts)), "x"+string(AppendEpoch(nil, ts)); got != want {
			t.Fatalf("%v: appendEpoch wrote %s, AppendEpoch %s", ts, got, want)
		}
	}
	var none *stampMemo
	ts := time.Unix(1761739200, 5e8)
	if got := string(none.appendTime(nil, ts)); got != string(AppendTime(nil, ts)) {
		t.Fatalf("a nil memo wrote %s", got)
	}
}
