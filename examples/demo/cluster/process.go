package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// stopTimeout is how long a graceful stop may take before the process is
// killed.
const stopTimeout = 15 * time.Second

// process is a service running as its own process, its output appended to
// <LogDir>/<name>.log.
type process struct {
	name, bin string
	args      []string
	logPath   string
	cmd       *exec.Cmd
	done      chan struct{}
}

func newProcess(bin, addr, db, amqpURL string, opts Options, name string) *process {
	args := []string{"-http", addr, "-amqp", amqpURL, "-db", db, "-namespace", opts.Namespace}
	if opts.Transport != "" {
		args = append(args, "-transport", opts.Transport)
	}
	if opts.VerifyPublishers {
		args = append(args, "-verify-publishers", "-user-prefix", opts.UserPrefix)
	}
	return &process{name: name, bin: bin, logPath: filepath.Join(opts.LogDir, name+".log"), args: args}
}

// orDefault is s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (p *process) start() error {
	if p.done != nil && !closed(p.done) {
		return fmt.Errorf("%s is already running (pid %d)", p.name, p.cmd.Process.Pid)
	}
	log, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("open %s's log: %w", p.name, err)
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start %s: %w", p.bin, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer log.Close()
		cmd.Wait()
	}()
	p.cmd, p.done = cmd, done
	return nil
}

// stop sends sig and waits for the process to end; after SIGTERM it must
// end by itself, with status 0, within stopTimeout.
func (p *process) stop(sig syscall.Signal) error {
	if p.done == nil || closed(p.done) {
		return nil
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal %s (pid %d): %w", p.name, p.cmd.Process.Pid, err)
	}
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s (pid %d) did not stop within %v of %v; killed", p.name, p.cmd.Process.Pid, stopTimeout, sig)
	}
	if code := p.cmd.ProcessState.ExitCode(); sig == syscall.SIGTERM && code != 0 {
		return fmt.Errorf("%s (pid %d) exited with status %d after SIGTERM", p.name, p.cmd.Process.Pid, code)
	}
	return nil
}

func (p *process) exited() <-chan struct{} { return p.done }

func (p *process) pid() int {
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// closed reports whether ch is closed.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
