package main

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// connLimiter caps the connections the server holds. At the cap, a new connection
// makes room by closing the oldest connection that is idle between requests, else the
// oldest one still sending its request headers (a slow or stalled client); only when
// every connection is inside a handler is the new one refused. So a flood of slow
// connections cannot starve real requests — a health check gets through — and the
// process never runs out of file descriptors.
type connLimiter struct {
	net.Listener
	max int

	mu    sync.Mutex
	conns map[net.Conn]*connInfo

	evicted, refused atomic.Int64
}

// connInfo is what the limiter knows of one connection.
type connInfo struct {
	since     time.Time // when it entered its current state
	state     http.ConnState
	inHandler atomic.Int32 // requests being served (headers fully read)
}

// limitConnections wraps l and returns the hooks the http.Server needs.
func limitConnections(l net.Listener, max int) *connLimiter {
	return &connLimiter{Listener: l, max: max, conns: map[net.Conn]*connInfo{}}
}

// Accept admits the next connection, making room for it if the cap is reached.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.admit(c) {
			return c, nil
		}
		_ = c.Close()
		l.refused.Add(1)
	}
}

// admit registers c, closing a victim when at the cap; false when there is none.
func (l *connLimiter) admit(c net.Conn) bool {
	l.mu.Lock()
	var victim net.Conn
	if len(l.conns) >= l.max {
		victim = l.victimLocked()
		if victim == nil {
			l.mu.Unlock()
			return false
		}
		delete(l.conns, victim)
	}
	l.conns[c] = &connInfo{since: time.Now(), state: http.StateNew}
	l.mu.Unlock()
	if victim != nil {
		_ = victim.Close()
		l.evicted.Add(1)
	}
	return true
}

// victimLocked picks the oldest idle connection, else the oldest one not yet in a
// handler (still sending its request), else nil.
func (l *connLimiter) victimLocked() net.Conn {
	var idle, reading net.Conn
	var idleSince, readingSince time.Time
	for c, info := range l.conns {
		switch {
		case info.state == http.StateIdle:
			if idle == nil || info.since.Before(idleSince) {
				idle, idleSince = c, info.since
			}
		case info.inHandler.Load() == 0:
			if reading == nil || info.since.Before(readingSince) {
				reading, readingSince = c, info.since
			}
		}
	}
	if idle != nil {
		return idle
	}
	return reading
}

// rawConn is the accepted connection under c: the server wraps it in TLS when it
// serves HTTPS, and the limiter knows it by what Accept returned.
func rawConn(c net.Conn) net.Conn {
	if tc, ok := c.(*tls.Conn); ok {
		return tc.NetConn()
	}
	return c
}

// connState is the http.Server's ConnState hook.
func (l *connLimiter) connState(c net.Conn, s http.ConnState) {
	c = rawConn(c)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch s {
	case http.StateClosed, http.StateHijacked:
		delete(l.conns, c)
	default:
		if info, ok := l.conns[c]; ok {
			info.state, info.since = s, time.Now()
		}
	}
}

// connInfoKey carries a connection's info into its requests' contexts.
type connInfoKey struct{}

// connContext is the http.Server's ConnContext hook.
func (l *connLimiter) connContext(ctx context.Context, c net.Conn) context.Context {
	c = rawConn(c)
	l.mu.Lock()
	info := l.conns[c]
	l.mu.Unlock()
	return context.WithValue(ctx, connInfoKey{}, info)
}

// handler marks the connection as serving a request while next runs.
func (l *connLimiter) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info, ok := r.Context().Value(connInfoKey{}).(*connInfo); ok && info != nil {
			info.inHandler.Add(1)
			defer info.inHandler.Add(-1)
		}
		next.ServeHTTP(w, r)
	})
}

// open is the number of connections held.
func (l *connLimiter) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}
