package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// collector is the distribution running as a child process.
type collector struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
}

func startCollector(bin, cfgPath, logPath, featureGates string) (*collector, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	args := []string{"--config", cfgPath}
	if featureGates != "" {
		args = append(args, "--feature-gates", featureGates)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	c := &collector{cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(c.done)
	}()
	return c, nil
}

func (c *collector) pid() int { return c.cmd.Process.Pid }

func (c *collector) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop asks the collector to shut down and kills it if it has not within
// ten seconds.
func (c *collector) stop() {
	if c.exited() {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// logTail is the collector's last error and warning lines (its stack
// traces left out), or the end of its log, for error messages.
func (c *collector) logTail() string {
	raw, err := os.ReadFile(c.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	var found []string
	for line := range strings.Lines(string(raw)) {
		if strings.Contains(line, "\terror\t") || strings.Contains(line, "\twarn\t") {
			found = append(found, strings.TrimSpace(line))
		}
	}
	s := strings.TrimSpace(string(raw))
	if len(found) > 0 {
		s = strings.Join(found[max(0, len(found)-3):], "\n")
	}
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	if s == "" {
		return "(empty)"
	}
	return s
}
