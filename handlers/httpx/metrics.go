package httpx

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

// Metrics are what operators scrape: requests per route, credentials issued and
// revoked, client-authentication failures, the signing-key ring, status lists, the
// database pool, and the Go runtime.
type Metrics struct {
	Reg         *prometheus.Registry
	Requests    *prometheus.CounterVec
	Latency     *prometheus.HistogramVec
	Tokens      *prometheus.CounterVec
	Keys        prometheus.Counter
	Revocations *prometheus.CounterVec
	AuthFailed  prometheus.Counter
	Throttled   prometheus.Counter
}

// NewMetrics registers the portal's collectors.
func (h *Server) NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Reg: reg,
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatehouse_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status code."}, []string{"route", "method", "code"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gatehouse_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route template and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}}, []string{"route", "method"}),
		Tokens: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatehouse_access_tokens_issued_total",
			Help: "Access tokens issued, by grant type."}, []string{"grant"}),
		Keys: prometheus.NewCounter(prometheus.CounterOpts{Name: "gatehouse_api_keys_issued_total",
			Help: "API keys issued."}),
		Revocations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatehouse_api_keys_revoked_total",
			Help: "API keys revoked, by the way they were revoked (each sets a status bit verifiers see within the list's ttl)."}, []string{"via"}),
		AuthFailed: prometheus.NewCounter(prometheus.CounterOpts{Name: "gatehouse_client_auth_failures_total",
			Help: "Failed client authentications at the OAuth endpoints."}),
		Throttled: prometheus.NewCounter(prometheus.CounterOpts{Name: "gatehouse_client_auth_throttled_total",
			Help: "Failed client authentications answered 429 (a source over its failure limit)."}),
	}
	reg.MustRegister(m.Requests, m.Latency, m.Tokens, m.Keys, m.Revocations, m.AuthFailed, m.Throttled,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if db, err := h.Store.SQLDB(); err == nil {
		reg.MustRegister(collectors.NewDBStatsCollector(db, "gatehouse"))
	}
	sg := h.Cfg.Signer
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
			func() float64 { return float64(h.Store.ClientCacheStats().Hits) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gatehouse_client_cache_outage_hits_total",
			Help: "Client authentications answered from memory while the database could not be reached."},
			func() float64 { return float64(h.Store.ClientCacheStats().OutageHits) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gatehouse_client_cache_misses_total",
			Help: "Client authentications read from the database."},
			func() float64 { return float64(h.Store.ClientCacheStats().Misses) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gatehouse_signing_keys_published",
			Help: "Keys in the published JWKS (next, active and retired)."},
			func() float64 { return float64(sg.PublishedKeys()) }),
	)
	return m
}

// Observe is middleware counting every request by route template (never the raw path:
// ids would make one series per object).
func (m *Metrics) Observe(next echo.HandlerFunc) echo.HandlerFunc {
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
		m.Requests.WithLabelValues(route, c.Request().Method, strconv.Itoa(code)).Inc()
		m.Latency.WithLabelValues(route, c.Request().Method).Observe(time.Since(start).Seconds())
		return err
	}
}

// MetricsHandler serves the metrics in the Prometheus text format, for a listener of its
// own (GATEHOUSE_METRICS_ADDR).
func (h *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(h.Metrics.Reg, promhttp.HandlerOpts{})
}

// ServeMetrics handles "GET /metrics" on the main port: only with the configured bearer
// token (GATEHOUSE_METRICS_TOKEN), compared in constant time; without one configured,
// the route does not exist.
func (h *Server) ServeMetrics(c echo.Context) error {
	if h.Cfg.MetricsToken == "" {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	got, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(h.Cfg.MetricsToken)) != 1 {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="gatehouse metrics"`)
		return c.JSON(http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": "GET /metrics needs the metrics bearer token"})
	}
	h.MetricsHandler().ServeHTTP(c.Response(), c.Request())
	return nil
}

// RegisterMetrics adds collectors of the process around the handler (the connection
// limiter, say) to what /metrics serves.
func (h *Server) RegisterMetrics(cs ...prometheus.Collector) { h.Metrics.Reg.MustRegister(cs...) }
