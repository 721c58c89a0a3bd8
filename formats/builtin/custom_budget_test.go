package builtin

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/formatstest"
	"github.com/sentyr/webhookexporter/formats/template"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// rejectedFor encodes ev alone and returns the reason it was rejected,
// failing when it was not.
func rejectedFor(t *testing.T, enc *customEncoder, ev formats.Event) string {
	t.Helper()
	batch, err := enc.Encode([]formats.Event{ev})
	require.NoError(t, err)
	require.Len(t, batch.Rejected, 1, "the event should be rejected, got %d requests", len(batch.Requests))
	require.Empty(t, batch.Requests)
	return batch.Rejected[0].Err.Error()
}

// allocatedBy returns the bytes f allocates.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// fakeClock moves by step at every reading, so that a render's deadline
// comes after a known number of budget checks whatever the machine's speed.
type fakeClock struct {
	t     time.Time
	step  time.Duration
	reads int
}

func (c *fakeClock) now() time.Time {
	c.reads++
	c.t = c.t.Add(c.step)
	return c.t
}

// The loop: range(100000000) took the collector out of memory.
// range() now counts its items against the render budget before making
// them, so the loop is refused at once. (Before, range(1000000) rendered;
// range(100000000) ran out of memory.)
func TestTemplateBudgetRefusesAHugeRange(t *testing.T) {
	for _, n := range []string{"1000000", "100000000"} {
		t.Run(n, func(t *testing.T) {
			enc := newCustomEncoder(t, CustomConfig{Template: `{"n": 1}{% for i in range(` + n + `) %}{% endfor %}`})
			var reason string
			alloc := allocatedBy(func() { reason = rejectedFor(t, enc, formatstest.GuideEvent(t, nil)) })
			assert.Contains(t, reason, "custom::template: the render went over its budget")
			assert.Contains(t, reason, "custom::max_output_size")
			assert.Less(t, alloc, uint64(1<<20), "refusing the range must not build it")
		})
	}
}

// Nested loops kept Shutdown waiting for over a minute. Every loop
// iteration checks the deadline: with a clock that moves 10ms per reading
// and the default 1s budget, the render stops after about a hundred checks
// instead of running 10^12 iterations.
func TestTemplateBudgetStopsNestedLoopsAtTheDeadline(t *testing.T) {
	cfg := CustomConfig{Template: `{"n": 1}
{%- for a in event_data.l %}{% for b in event_data.l %}{% for c in event_data.l %}{% for d in event_data.l %}
{%- endfor %}{% endfor %}{% endfor %}{% endfor %}`}
	enc := newCustomEncoder(t, cfg)
	clock := &fakeClock{t: time.Unix(0, 0), step: 10 * time.Millisecond}
	limits := cfg.limits()
	limits.Now = clock.now
	var err error
	enc.tpl, err = template.Parse("custom::template", cfg.Template, true, limits)
	require.NoError(t, err)
	items := make([]any, 1000)
	for i := range items {
		items[i] = int64(i)
	}
	reason := rejectedFor(t, enc, formatstest.GuideEvent(t, map[string]any{"l": items}))
	assert.Contains(t, reason, "custom::template: the render went over its budget: the render took longer than custom::render_timeout (1s)")
	assert.LessOrEqual(t, clock.reads, 150, "the render should stop at the first check past the deadline")
}

// "x" * event_data.n with a huge n was a fatal out-of-memory. The size of
// what an operator, filter, method or function would build is checked
// from its operands before anything is allocated. 16 MiB shows the
// difference on the old code, which built it; 1 TiB crashed it.
func TestTemplateBudgetRefusesValuesTheEventMakesHuge(t *testing.T) {
	exprs := []string{
		`"x" * event_data.n`,
		`"x".ljust(event_data.n, "-")`,
		`"x".center(event_data.n, "-")`,
		`"x" | center(event_data.n)`,
		`"x" | indent(event_data.n)`,
		`lipsum(n=event_data.n)`,
		`range(event_data.n) | join(",")`,
	}
	for _, n := range []int64{16 << 20, 1 << 40} {
		for _, expr := range exprs {
			t.Run(expr+"/"+map[int64]string{16 << 20: "16MiB", 1 << 40: "1TiB"}[n], func(t *testing.T) {
				enc := newCustomEncoder(t, CustomConfig{Template: `{"v": "{{ ` + expr + ` }}"}`})
				ev := formatstest.GuideEvent(t, map[string]any{"n": n})
				var reason string
				alloc := allocatedBy(func() { reason = rejectedFor(t, enc, ev) })
				assert.Contains(t, reason, "custom::max_output_size")
				assert.Less(t, alloc, uint64(1<<20), "the value must be refused before it is built")
			})
		}
	}
}

// Values that grow inside a loop (each step doubles a string, or an event
// string is multiplied by itself through replace) are counted as they are
// built: the render stops before holding much more than its budget.
func TestTemplateBudgetStopsValuesGrowingInALoop(t *testing.T) {
	cases := map[string]string{
		"doubling":   `{% set ns = namespace(s="x") %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}`,
		"appending":  `{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = ns.l + [event_data.s] %}{% endfor %}{{ ns.l | length }}`,
		"calls":      `{% set l = [] %}{% for i in range(100000) %}{% do l.append(event_data.s) %}{% endfor %}{{ l | length }}`,
		"block set":  `{% set x %}{% for i in range(100000) %}{{ event_data.s }}{% endfor %}{% endset %}{{ x | length }}`,
		"replace":    `{{ event_data.s | replace("", event_data.s) | length }}`,
		"output":     `{% for i in range(100000) %}{{ event_data.s }}{% endfor %}`,
		"loop items": `{% for c in event_data.s * 30 %}{% endfor %}1`,
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			enc := newCustomEncoder(t, CustomConfig{Template: src, ContentType: "text/plain", MaxOutputSize: 64 << 10})
			ev := formatstest.GuideEvent(t, map[string]any{"s": strings.Repeat("y", 4096)})
			var reason string
			alloc := allocatedBy(func() { reason = rejectedFor(t, enc, ev) })
			assert.Contains(t, reason, "custom::max_output_size")
			assert.Less(t, alloc, uint64(16<<20), "the render should stop near its 512 KiB budget")
		})
	}
}

// gonja's range() fed a channel from a goroutine, which a range that is
// not iterated to its end left blocked: one goroutine leaked per render.
func TestTemplateRangeOutsideALoopLeaksNoGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	enc := newCustomEncoder(t, CustomConfig{Template: `{% set r = range(5) %}{"r": {{ range(3) | list | tojson }}, "s": "{{ range(2) }}", "b": [{% for i in range(10) %}{{ i }}{% break %}{% endfor %}]}`})
	for range 3 {
		assert.JSONEq(t, `{"r": [0, 1, 2], "s": "[0, 1]", "b": [0]}`, string(renderOne(t, enc, formatstest.GuideEvent(t, nil))))
	}
}

// Templates within the budget render as before.
func TestTemplateBudgetKeepsOrdinaryTemplates(t *testing.T) {
	enc := newCustomEncoder(t, CustomConfig{Template: `{% set ns = namespace(parts=[]) %}
{%- for k, v in event_data | dictsort %}{% set ns.parts = ns.parts + [k ~ "=" ~ v] %}{% endfor -%}
{"text": "{{ ns.parts | join(", ") }}", "n": {{ (event_data.n * 2 + 1) | tojson }}, "pad": "{{ "ab" * 2 }}{{ "x".ljust(3, "-") }}|",
 "r": {{ range(1, 7, 2) | list | tojson }}, "l": {{ ([1] + [2]) | tojson }}, "f": "{{ "%03d" | format(7) }}"}`})
	got := renderOne(t, enc, formatstest.GuideEvent(t, map[string]any{"a": "1", "n": int64(20)}))
	assert.JSONEq(t, `{"text": "a=1, n=20", "n": 41, "pad": "ababx--|", "r": [1, 3, 5], "l": [1, 2], "f": "007"}`, string(got))
}

func TestTemplateBudgetSettingsAreChecked(t *testing.T) {
	tpl := `{"a": 1}`
	for _, tt := range []struct {
		cfg  CustomConfig
		want string
	}{
		{CustomConfig{Template: tpl, RenderTimeout: -time.Second}, "custom::render_timeout: -1s is negative"},
		{CustomConfig{Template: tpl, MaxOutputSize: -1}, "custom::max_output_size: -1 is not between 1 and 268435456 bytes"},
		{CustomConfig{Template: tpl, MaxOutputSize: 1 << 30}, "custom::max_output_size: 1073741824 is not between 1 and 268435456 bytes"},
		{CustomConfig{Template: `{% for x in event_data.l recursive %}{{ loop(x) }}{% endfor %}`}, "custom::template: recursive loops are not supported (line 1)"},
	} {
		err := tt.cfg.check()
		require.Error(t, err)
		assert.Contains(t, err.Error(), tt.want)
	}
	require.NoError(t, (&CustomConfig{Template: tpl, RenderTimeout: 50 * time.Millisecond, MaxOutputSize: 1 << 20}).check())
}

// BenchmarkCustomEngineTemplate renders a template that takes the engine
// path (a loop, filters, an operator): what the budget's checks cost.
func BenchmarkCustomEngineTemplate(b *testing.B) {
	enc, err := newCustom(CustomConfig{Template: `{"fields": [{% for k, v in event_data | dictsort %}{"k": "{{ k }}", "v": "{{ v | upper }}"}{% if not loop.last %},{% endif %}{% endfor %}], "n": "{{ event_type ~ "-" ~ severity }}"}`})
	require.NoError(b, err)
	benchGuideEvents(b, enc)
}
