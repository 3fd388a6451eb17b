package oauth

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models/signing"
)

// StatusEventsPath is the revocation feed (Server-Sent Events).
const StatusEventsPath = "/statuslists/events"

// statusEventsRetry is what a refused subscriber is told to wait, and the reconnection
// delay the stream suggests (retry:).
const (
	statusEventsRetryAfter = 30
	statusEventsRetryMS    = 2000
)

// statusEventWriteTimeout bounds one write to a stream: a client that stops reading
// until its socket fills is cut off after it.
const statusEventWriteTimeout = 10 * time.Second

// statusEvents handles "GET /statuslists/events": the revocation feed. Each status
// change is one signed event (typ statuslist-event+jwt) with the change log's id as SSE
// id; a client that sends Last-Event-ID gets what it missed, or "event: reset" when that
// is no longer known. Over the subscriber cap (and while the process shuts down) it
// answers 503 with Retry-After: the client polls the lists meanwhile. The stream does
// not touch the database: it keeps going, with heartbeats, while the database is down.
func (h *Handler) statusEvents(c echo.Context) error {
	if h.feed == nil {
		return echo.NewHTTPError(http.StatusNotFound, "This portal has no revocation feed.")
	}
	req := c.Request()
	sub, backlog, reset, err := h.feed.Subscribe(req.Context(), req.Header.Get("Last-Event-ID"))
	if errors.Is(err, signing.ErrFeedFull) {
		c.Response().Header().Set("Retry-After", strconv.Itoa(statusEventsRetryAfter))
		return echo.NewHTTPError(http.StatusServiceUnavailable, "The revocation feed is at capacity; poll the status lists and try again later.")
	}
	if err != nil {
		return err
	}
	defer h.feed.Unsubscribe(sub)
	w := c.Response()
	rc := http.NewResponseController(w)
	// The server's WriteTimeout would cut the stream: each write gets its own deadline.
	_ = rc.SetWriteDeadline(time.Time{})
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no") // proxies must not buffer the stream
	w.WriteHeader(http.StatusOK)
	first := []byte("retry: " + strconv.Itoa(statusEventsRetryMS) + "\n\n")
	if reset {
		first = append(first, "event: reset\ndata: {}\n\n"...)
	}
	for _, f := range backlog {
		first = append(first, f...)
	}
	send := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(statusEventWriteTimeout))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send(first) {
		return nil
	}
	cfg := h.feed.Config()
	heartbeat := time.NewTicker(cfg.Heartbeat)
	defer heartbeat.Stop()
	lifetime := time.NewTimer(cfg.MaxLifetime)
	defer lifetime.Stop()
	ping := []byte(": ping\n\n")
	for {
		select {
		case f := <-sub.Frames:
			if !send(f) {
				return nil
			}
		case <-heartbeat.C:
			if !send(ping) {
				return nil
			}
		case <-lifetime.C:
			return nil // the client reconnects with Last-Event-ID
		case <-sub.Gone:
			// Dropped (too slow) or shutting down: what is buffered is sent first, so
			// that the client's Last-Event-ID is as late as it can be.
			for {
				select {
				case f := <-sub.Frames:
					if !send(f) {
						return nil
					}
				default:
					return nil
				}
			}
		case <-req.Context().Done():
			return nil
		}
	}
}

// CloseFeed ends every stream of the revocation feed and refuses new ones (the process
// is shutting down: clients reconnect to another instance).
func (h *Handler) CloseFeed() {
	if h.feed != nil {
		h.feed.Close()
	}
}

// FeedStats are the revocation feed's counters (zero without a feed).
func (h *Handler) FeedStats() signing.FeedStats {
	if h.feed == nil {
		return signing.FeedStats{}
	}
	return h.feed.Stats()
}
