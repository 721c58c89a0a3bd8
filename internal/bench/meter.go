package bench

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// Meter measures a benchmark loop per event rather than per operation, so
// that batches of 1, 100 and 1000 events compare directly:
//
//	ns/event      wall time (the benchmark's ns/op divided by the batch size)
//	cpu-ns/event  CPU time of this whole process (all goroutines, the GC
//	              included) from getrusage; the HTTP sink runs in another
//	              process, so its CPU is not counted
//	B/event       bytes allocated; allocs/event: heap allocations
//	wire-B/event  request body bytes on the wire
type Meter struct {
	cpu   time.Duration
	mem   runtime.MemStats
	start time.Time
}

// StartMeter settles the heap and starts measuring; call it right before
// the b.N loop.
func StartMeter(b *testing.B) *Meter {
	b.Helper()
	runtime.GC()
	m := &Meter{}
	runtime.ReadMemStats(&m.mem)
	m.cpu = ProcessCPU(b)
	b.ResetTimer()
	m.start = time.Now()
	return m
}

// Stop ends the measurement of b.N operations of eventsPerOp events each,
// which put wireBytesPerOp body bytes on the wire.
func (m *Meter) Stop(b *testing.B, eventsPerOp, wireBytesPerOp int) {
	b.Helper()
	wall := time.Since(m.start)
	b.StopTimer()
	cpu := ProcessCPU(b) - m.cpu
	var after runtime.MemStats
	runtime.ReadMemStats(&after)

	events := float64(b.N) * float64(eventsPerOp)
	b.ReportMetric(events/wall.Seconds(), "events/s")
	b.ReportMetric(float64(wall.Nanoseconds())/events, "ns/event")
	b.ReportMetric(float64(cpu.Nanoseconds())/events, "cpu-ns/event")
	b.ReportMetric(float64(after.TotalAlloc-m.mem.TotalAlloc)/events, "B/event")
	b.ReportMetric(float64(after.Mallocs-m.mem.Mallocs)/events, "allocs/event")
	b.ReportMetric(float64(wireBytesPerOp)/float64(eventsPerOp), "wire-B/event")
}

// ProcessCPU is the user and system CPU time this process has used.
func ProcessCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
