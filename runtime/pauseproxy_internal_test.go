package runtime

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

// pauseProxy forwards TCP connections to the broker and can hold what the
// broker sends back (returns, confirms) while letting the client's frames
// through, so a test can make a confirm arrive after a deadline without
// timing luck.
type pauseProxy struct {
	url    string // the broker URL with the proxy's address
	hold   sync.Mutex
	paused bool // used by the test's goroutine only
}

// newPauseProxy listens on a loopback port and forwards to the broker at
// brokerURL until t ends.
func newPauseProxy(t *testing.T, brokerURL string) *pauseProxy {
	t.Helper()
	u, err := url.Parse(brokerURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	u.Host = ln.Addr().String()
	p := &pauseProxy{url: u.String()}
	var conns sync.WaitGroup
	t.Cleanup(func() {
		if p.paused {
			p.resume()
		}
		ln.Close()
		conns.Wait()
	})
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer conns.Done()
				p.forward(client, target)
			}()
		}
	}()
	return p
}

// forward copies client to the broker freely and the broker to client
// through the hold, until either side closes.
func (p *pauseProxy) forward(client net.Conn, target string) {
	defer client.Close()
	broker, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer broker.Close()
	go func() {
		io.Copy(broker, client)
		broker.Close()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := broker.Read(buf)
		if n > 0 {
			p.hold.Lock()
			_, werr := client.Write(buf[:n])
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

// pause holds the broker's frames until resume.
func (p *pauseProxy) pause() { p.hold.Lock(); p.paused = true }

// resume delivers the held frames and lets the next ones through.
func (p *pauseProxy) resume() { p.paused = false; p.hold.Unlock() }
