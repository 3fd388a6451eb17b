// Command example-api is a small resource server that accepts Gatehouse API keys and
// access tokens, verified offline with the verify package. It is the reference for
// integrating an API, and the end-to-end tests run it against a real portal.
//
//	EXAMPLE_API_ISSUER=http://127.0.0.1:8080 EXAMPLE_API_AUDIENCE=<an API's identifier> go run ./cmd/example-api
//	curl -H "Authorization: Bearer $KEY" http://127.0.0.1:9090/orders
//
// Routes:
//
//	GET  /orders     needs scope orders:read when the credential carries scopes at all
//	POST /orders     needs scope orders:write
//	GET  /whoami     the verified principal, as JSON (any valid credential)
//	GET  /healthz    liveness, no credential
//	GET  /stats      the verifier's counters (fetches, cache hits, fail-closed decisions)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gatehouse-dev/gatehouse/verify"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "example-api:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string) error {
	issuer, audience := getenv("EXAMPLE_API_ISSUER"), getenv("EXAMPLE_API_AUDIENCE")
	addr := getenv("EXAMPLE_API_ADDR")
	if addr == "" {
		addr = "127.0.0.1:9090"
	}
	if issuer == "" || audience == "" {
		return errors.New("set EXAMPLE_API_ISSUER (the portal's URL) and EXAMPLE_API_AUDIENCE (the identifier of this API as registered in the portal)")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	opts := []verify.Option{verify.Audience(audience), verify.HeaderAPIKey(), verify.Logger(log)}
	if getenv("EXAMPLE_API_ACCEPT") == "api_key" {
		opts = append(opts, verify.Accept(verify.KindAPIKey))
	}
	startCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	v, err := verify.New(startCtx, issuer, opts...)
	cancel()
	if err != nil {
		return err
	}
	defer v.Close()

	srv := &http.Server{Addr: addr, Handler: routes(v), ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("example-api listening", "addr", addr, "issuer", issuer, "audience", audience)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}

// routes wires the API: everything but /healthz and /stats needs a verified credential.
func routes(v *verify.Verifier) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, map[string]string{"status": "ok"}) })
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, v.Stats()) })

	api := http.NewServeMux()
	api.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, verify.FromContext(r.Context()))
	})
	api.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		p := verify.FromContext(r.Context())
		if len(p.Scopes) > 0 && !p.HasScope("orders:read") {
			http.Error(w, `{"error":"insufficient_scope"}`, http.StatusForbidden)
			return
		}
		writeJSON(w, map[string]any{"orders": []string{"ord_1", "ord_2"}, "for_project": p.Project})
	})
	api.Handle("POST /orders", verify.RequireScope("orders:write")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		writeJSON(w, map[string]string{"created": "ord_3", "by": verify.FromContext(r.Context()).Project})
	})))
	mux.Handle("/", v.Middleware(api))
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	_ = json.NewEncoder(w).Encode(v)
}
