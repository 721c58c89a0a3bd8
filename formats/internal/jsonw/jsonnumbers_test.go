package jsonw

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// appendFloatStrconv is AppendFloat without the short-decimal path: the
// reference that path must match byte for byte.
func appendFloatStrconv(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "null"
	}
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		if n := len(s); n >= 4 && s[n-4:n-1] == "e-0" {
			s = s[:n-2] + s[n-1:]
		}
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func TestAppendFloatShortDecimalsMatchStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cases := []float64{
		0.5, 0.49, 9.9, 0.1 + 0.2, 1e-6, 5e-7, 1.5e-6, 999999999.999999, 999999999.9999999,
		1e9, -1e9, 123456789, 0.000001, 0.0000015, 2.675, 1.005, -0.001375, 4.35, 0.07,
		math.Nextafter(0.5, 1), math.Nextafter(0.1, 0), math.Copysign(0, -1), 1 << 53,
	}
	for range 50000 {
		scale := decimalScales[rng.IntN(len(decimalScales))]
		sign := float64(1 - 2*rng.IntN(2))
		cases = append(cases,
			sign*float64(rng.Int64N(1e15))/scale,                     // short decimals of every size
			sign*float64(rng.Int64N(1000))/scale,                     // scores and ratios
			sign*rng.Float64()*math.Pow(10, float64(rng.IntN(12)-3)), // long fractions
			math.Float64frombits(rng.Uint64()),                       // anything at all
		)
	}
	for _, f := range cases {
		require.Equal(t, appendFloatStrconv(f), string(AppendFloat(nil, f)), "%v (%#x)", f, math.Float64bits(f))
	}
}

func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{0.5, 1e-6, 999999999.999999, -2.675, 1e21} {
		f.Add(math.Float64bits(v))
	}
	f.Fuzz(func(t *testing.T, bits uint64) {
		v := math.Float64frombits(bits)
		if got, want := string(AppendFloat(nil, v)), appendFloatStrconv(v); got != want {
			t.Fatalf("%v: got %s, want %s", v, got, want)
		}
	})
}

// The hand-written time format must be exactly AppendFormat's RFC3339Nano.
func TestAppendTimeMatchesRFC3339Nano(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	zones := []*time.Location{time.UTC, time.FixedZone("CEST", 2*3600), time.FixedZone("NST", -(3*3600 + 1800))}
	cases := []time.Time{
		time.Unix(0, 0),
		time.Date(2025, 10, 29, 12, 0, 0, 0, time.UTC),
		time.Date(2025, 10, 29, 12, 0, 0, 100_000_000, time.UTC),
		time.Date(2025, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2024, 2, 29, 0, 0, 0, 1, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 5, time.UTC),
	}
	for range 5000 {
		cases = append(cases, time.Unix(rng.Int64N(253402300799), rng.Int64N(1e9)).In(zones[rng.IntN(len(zones))]))
	}
	for _, tm := range cases {
		want := `"` + tm.UTC().Format(time.RFC3339Nano) + `"`
		require.Equal(t, want, string(AppendTime(nil, tm)), "%v", tm)
	}
}
