package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-dev/gatehouse/models/signing"
)

// healthz handles "GET /healthz": the process is alive.
func (h *Handler) healthz(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]string{"status": "ok", "version": h.Cfg.Version})
}

// Drain tells load balancers to stop sending: from now on /readyz answers 503
// "shutting down", while every other route keeps serving. The revocation feed's
// streams end at once (cleanly, after what they hold) and new ones are refused, so
// that subscribers move to another instance and the shutdown waits for none of them.
func (h *Handler) Drain() {
	h.draining.Store(true)
	h.oauth.CloseFeed()
}

// FeedStats are the revocation feed's counters on this instance.
func (h *Handler) FeedStats() signing.FeedStats { return h.oauth.FeedStats() }

// readyz handles "GET /readyz": the database answers and the schema is current, and the
// process is not shutting down.
func (h *Handler) readyz(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	if h.draining.Load() {
		return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "shutting down"})
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"database": "ok", "signing_key": "ok"}
	status := http.StatusOK
	if err := h.Store.Ping(ctx); err != nil {
		checks["database"], status = "unreachable", http.StatusServiceUnavailable
	} else if cur, latest, err := h.Store.MigrationStatus(ctx); err != nil || cur < latest {
		checks["database"], status = "schema not migrated", http.StatusServiceUnavailable
	}
	if h.Cfg.Signer.ActiveKID() == "" {
		checks["signing_key"], status = "not loaded", http.StatusServiceUnavailable
	}
	state := "ready"
	if status != http.StatusOK {
		state = "not ready"
	}
	return c.JSON(status, map[string]any{"status": state, "checks": checks})
}

// registerFeedMetrics exposes the revocation feed and the in-memory status lists.
func (h *Handler) registerFeedMetrics() {
	sg := h.Cfg.Signer
	counter := func(name, help string, f func() int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f()) })
	}
	h.RegisterMetrics(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gatehouse_status_events_subscribers",
			Help: "Revocation feed streams open on this instance (GATEHOUSE_STATUS_EVENTS_MAX_SUBSCRIBERS caps them)."},
			func() float64 { return float64(h.FeedStats().Subscribers) }),
		counter("gatehouse_status_events_total", "Status changes read from the change log and signed as feed events.",
			func() int64 { return h.FeedStats().Events }),
		counter("gatehouse_status_events_dropped_total", "Feed subscribers dropped for not keeping up (they reconnect with Last-Event-ID).",
			func() int64 { return h.FeedStats().Dropped }),
		counter("gatehouse_status_events_refused_total", "Feed subscribers refused with 503 (over the cap, or shutting down).",
			func() int64 { return h.FeedStats().Refused }),
		counter("gatehouse_status_list_rebuilds_total", "Status lists read from the database and signed.", sg.StatusListRebuilds),
		counter("gatehouse_status_list_resigns_total", "Status lists re-signed from their bits in memory (after a change from the log, a ring change, or half a ttl).",
			sg.StatusListResigns),
	)
}
