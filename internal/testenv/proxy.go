package testenv

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy forwards TCP connections to a backend (RabbitMQ, PostgreSQL) for a
// fault test. It can cut the network (Cut: every open connection is reset
// and new ones are reset as soon as accepted, until Restore) and hold what
// the backend sends while the client's bytes still go through (Pause until
// Resume: a confirm arrives after a deadline without timing luck).
// Hand-written: a test needs nothing more, and a proxy tool would be a
// process to manage.
type Proxy struct {
	ln      net.Listener
	backend string
	conns   sync.WaitGroup

	mu    sync.Mutex
	down  bool
	open  map[net.Conn]bool
	hold  sync.Mutex // held by Pause: the backend's bytes wait for it
	holds bool       // Pause was called without Resume; the test's goroutine only
}

// NewProxy listens on a loopback port and forwards to backend (host:port)
// until t ends.
func NewProxy(t testing.TB, backend string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy to %s: %v", backend, err)
	}
	p := &Proxy{ln: ln, backend: backend, open: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() {
		if p.holds {
			p.Resume()
		}
		ln.Close()
		p.Cut()
		p.conns.Wait()
	})
	return p
}

// Addr is the address clients dial instead of the backend's.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		p.conns.Add(1)
		go func() {
			defer p.conns.Done()
			p.forward(c)
		}()
	}
}

// forward copies c to the backend freely, and the backend to c through
// the hold, until either side closes or Cut resets them.
func (p *Proxy) forward(c net.Conn) {
	s, err := p.dial(c)
	if err != nil {
		return
	}
	defer p.untrack(c, s)
	go func() { io.Copy(s, c); s.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := s.Read(buf)
		if n > 0 {
			p.hold.Lock()
			_, werr := c.Write(buf[:n])
			p.hold.Unlock()
			if werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// dial connects c to the backend and tracks the pair, or resets c when
// the network is cut or the backend refuses.
func (p *Proxy) dial(c net.Conn) (net.Conn, error) {
	p.mu.Lock()
	down := p.down
	p.mu.Unlock()
	if down {
		reset(c)
		return nil, errors.New("cut")
	}
	s, err := net.Dial("tcp", p.backend)
	if err != nil {
		reset(c)
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down { // a Cut came in between
		reset(c)
		s.Close()
		return nil, errors.New("cut")
	}
	p.open[c], p.open[s] = true, true
	return s, nil
}

func (p *Proxy) untrack(c, s net.Conn) {
	c.Close()
	s.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.open, c)
	delete(p.open, s)
}

// Cut resets every connection and refuses new ones until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.open {
		reset(c)
	}
	clear(p.open)
}

// Restore accepts connections again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// Pause holds the backend's bytes until Resume; the client's still go
// through.
func (p *Proxy) Pause() { p.hold.Lock(); p.holds = true }

// Resume delivers the held bytes and lets the next ones through.
func (p *Proxy) Resume() { p.holds = false; p.hold.Unlock() }

// reset closes c with an RST, as a dead peer's kernel would answer.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}
