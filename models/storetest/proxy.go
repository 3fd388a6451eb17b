package storetest

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models/store"
)

// Outage is a TCP proxy in front of the test PostgreSQL server that a test can take
// down (every connection cut, new ones refused) and bring back: a database outage, and
// its end, without touching the server other tests use.
type Outage struct {
	target string
	l      net.Listener

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
}

// PostgresWithOutage returns a migrated store in a fresh PostgreSQL schema, reached
// through an Outage proxy. It skips the test when PostgreSQL is not configured.
func PostgresWithOutage(tb testing.TB) (*store.Store, *Outage) {
	tb.Helper()
	raw := PostgresURL(tb)
	u, err := url.Parse(raw)
	if err != nil {
		tb.Fatal(err)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	o := &Outage{target: target, l: l, conns: map[net.Conn]bool{}}
	go o.serve()
	tb.Cleanup(func() {
		_ = l.Close()
		o.cut()
	})
	u.Host = l.Addr().String()
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	return open(tb, u.String()), o
}

// Down cuts every connection and refuses new ones until Up.
func (o *Outage) Down() {
	o.mu.Lock()
	o.down = true
	o.mu.Unlock()
	o.cut()
}

// Up lets connections through again.
func (o *Outage) Up() {
	o.mu.Lock()
	o.down = false
	o.mu.Unlock()
}

func (o *Outage) cut() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for c := range o.conns {
		_ = c.Close()
	}
	clear(o.conns)
}

func (o *Outage) serve() {
	for {
		c, err := o.l.Accept()
		if err != nil {
			return
		}
		o.mu.Lock()
		down := o.down
		o.mu.Unlock()
		if down {
			_ = c.Close()
			continue
		}
		go o.relay(c)
	}
}

// relay copies between a client and the server until either side closes.
func (o *Outage) relay(c net.Conn) {
	s, err := net.Dial("tcp", o.target)
	if err != nil {
		_ = c.Close()
		return
	}
	o.mu.Lock()
	if o.down {
		o.mu.Unlock()
		_ = c.Close()
		_ = s.Close()
		return
	}
	o.conns[c], o.conns[s] = true, true
	o.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(s, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, s); done <- struct{}{} }()
	<-done
	_ = c.Close()
	_ = s.Close()
	o.mu.Lock()
	delete(o.conns, c)
	delete(o.conns, s)
	o.mu.Unlock()
}
