package handlers

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are what operators scrape: requests per route, credentials issued and
// revoked, client-authentication failures, the signing-key ring, status lists, the
// database pool, and the Go runtime.
type metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	tokens      *prometheus.CounterVec
	keys        prometheus.Counter
	revocations *prometheus.CounterVec
	authFailed  prometheus.Counter
	throttled   prometheus.Counter
}

// newMetrics registers the portal's collectors.
func (h *Handler) newMetrics() *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatehouse_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status code."}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gatehouse_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route template and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}}, []string{"route", "method"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatehouse_access_tokens_issued_total",
			Help: "Access tokens issued, by grant type."}, []string{"grant"}),
		keys: prometheus.NewCounter(prometheus.CounterOpts{Name: "gatehouse_api_keys_issued_total",
			Help: "API keys issued."}),
		revocations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatehouse_api_keys_revoked_total",
			Help: "API keys revoked, by the way they were revoked (each sets a status bit verifiers see within the list's ttl)."}, []string{"via"}),
		authFailed: prometheus.NewCounter(prometheus.CounterOpts{Name: "gatehouse_client_auth_failures_total",
			Help: "Failed client authentications at the OAuth endpoints."}),
		throttled: prometheus.NewCounter(prometheus.CounterOpts{Name: "gatehouse_client_auth_throttled_total",
			Help: "Failed client authentications answered 429 (a source over its failure limit)."}),
	}
	reg.MustRegister(m.requests, m.latency, m.tokens, m.keys, m.revocations, m.authFailed, m.throttled,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if db, err := h.store.SQLDB(); err == nil {
		reg.MustRegister(collectors.NewDBStatsCollector(db, "gatehouse"))
	}
	sg := h.cfg.Signer
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gatehouse_status_list_max_age_seconds",
			Help: "Age of the oldest signed status list this instance holds (it is re-signed at half its ttl, and from memory during a database outage)."},
			func() float64 { return sg.StatusListMaxAge().Seconds() }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gatehouse_status_list_outage_serves_total",
			Help: "Status lists re-signed from memory because the database could not be read."},
			func() float64 { return float64(sg.StatusListOutages()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gatehouse_signing_key_rotations_total",
			Help: "Changes to the signing-key ring made by this instance (a key created, promoted or removed)."},
			func() float64 { return float64(sg.Rotations()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gatehouse_client_cache_hits_total",
			Help: "Client authentications answered from memory (no database read)."},
			func() float64 { return float64(h.store.ClientCacheStats().Hits) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gatehouse_client_cache_outage_hits_total",
			Help: "Client authentications answered from memory while the database could not be reached."},
			func() float64 { return float64(h.store.ClientCacheStats().OutageHits) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gatehouse_client_cache_misses_total",
			Help: "Client authentications read from the database."},
			func() float64 { return float64(h.store.ClientCacheStats().Misses) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gatehouse_signing_keys_published",
			Help: "Keys in the published JWKS (next, active and retired)."},
			func() float64 { return float64(sg.PublishedKeys()) }),
	)
	return m
}

// observe is middleware counting every request by route template (never the raw path:
// ids would make one series per object).
func (m *metrics) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		code := c.Response().Status
		if err != nil && !c.Response().Committed {
			code = statusOf(err) // the error handler answers after us, with this status
		}
		m.requests.WithLabelValues(route, c.Request().Method, strconv.Itoa(code)).Inc()
		m.latency.WithLabelValues(route, c.Request().Method).Observe(time.Since(start).Seconds())
		return err
	}
}

// MetricsHandler serves the metrics in the Prometheus text format, for a listener of its
// own (GATEHOUSE_METRICS_ADDR).
func (h *Handler) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(h.metrics.reg, promhttp.HandlerOpts{})
}

// serveMetrics handles "GET /metrics" on the main port: only with the configured bearer
// token (GATEHOUSE_METRICS_TOKEN), compared in constant time; without one configured,
// the route does not exist.
func (h *Handler) serveMetrics(c echo.Context) error {
	if h.cfg.MetricsToken == "" {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	got, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(h.cfg.MetricsToken)) != 1 {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="gatehouse metrics"`)
		return c.JSON(http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": "GET /metrics needs the metrics bearer token"})
	}
	h.MetricsHandler().ServeHTTP(c.Response(), c.Request())
	return nil
}

// RegisterMetrics adds collectors of the process around the handler (the connection
// limiter, say) to what /metrics serves.
func (h *Handler) RegisterMetrics(cs ...prometheus.Collector) { h.metrics.reg.MustRegister(cs...) }
