package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
)

// guardedDialer dials only addresses a server-side request may reach: refuse decides on
// the address actually dialed (after DNS), so a hostname cannot smuggle in an internal
// one. The jwks_uri fetcher and the webhook sender share it.
func guardedDialer(timeout time.Duration, refuse func(ip net.IP) error) *net.Dialer {
	return &net.Dialer{Timeout: timeout, Control: func(_, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip := net.ParseIP(host)
		if ip == nil {
			return fmt.Errorf("%s is not an IP address", host)
		}
		return refuse(ip)
	}}
}

// WebhookClient posts webhook deliveries: HTTPS only, never to loopback, private,
// link-local or otherwise internal addresses (checked on the dialed address), at most
// models.WebhookTimeout per attempt, at most models.WebhookMaxResponse of the answer
// read, and redirects are not followed.
type WebhookClient struct {
	// AllowLoopback permits loopback addresses (and plain http to them): development
	// and tests only. Other internal addresses stay refused.
	AllowLoopback bool
	// Resolve looks a host up for the check at registration; net.DefaultResolver if nil.
	Resolve func(ctx context.Context, host string) ([]net.IP, error)
	client  *http.Client
}

// NewWebhookClient builds the sender's client; tlsConfig (nil for the system's roots)
// lets tests trust their own receiver.
func NewWebhookClient(allowLoopback bool, tlsConfig *tls.Config) *WebhookClient {
	c := &WebhookClient{AllowLoopback: allowLoopback}
	dialer := guardedDialer(models.WebhookTimeout, c.refuseIP)
	tr := &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: models.WebhookTimeout,
		ResponseHeaderTimeout: models.WebhookTimeout, MaxIdleConns: 100, MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute,
		Proxy: nil, TLSClientConfig: tlsConfig}
	c.client = &http.Client{Transport: tr, Timeout: models.WebhookTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return c
}

// refuseIP says why ip may not be dialed, or nil.
func (c *WebhookClient) refuseIP(ip net.IP) error {
	if c.AllowLoopback && ip.IsLoopback() {
		return nil
	}
	if internalIP(ip) {
		return fmt.Errorf("%w: %s is an internal address", models.ErrWebhookURL, ip)
	}
	return nil
}

// CheckURL validates an endpoint's URL at registration: absolute, https (http only to
// loopback when AllowLoopback), no credentials or fragment, and no host that is or
// resolves to an internal address. A host that does not resolve now is accepted (the
// sender checks again on every dial).
func (c *WebhookClient) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || len(raw) > 500 {
		return fmt.Errorf("%w: not an absolute URL without credentials", models.ErrWebhookURL)
	}
	host := strings.TrimSuffix(u.Hostname(), ".")
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil {
		resolve := c.Resolve
		if resolve == nil {
			resolve = func(ctx context.Context, h string) ([]net.IP, error) {
				addrs, err := net.DefaultResolver.LookupIPAddr(ctx, h)
				out := make([]net.IP, len(addrs))
				for i, a := range addrs {
					out[i] = a.IP
				}
				return out, err
			}
		}
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		ips, _ = resolve(rctx, host)
		if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
			ips = append(ips, net.IPv4(127, 0, 0, 1))
		}
	}
	loopback := len(ips) > 0
	for _, ip := range ips {
		if err := c.refuseIP(ip); err != nil {
			return err
		}
		loopback = loopback && ip.IsLoopback()
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && c.AllowLoopback && loopback) {
		return fmt.Errorf("%w: must be https", models.ErrWebhookURL)
	}
	return nil
}

// webhookResult is what one attempt found.
type webhookResult struct {
	code    int
	latency time.Duration
	err     error
}

// ok reports a 2xx answer.
func (r webhookResult) ok() bool { return r.err == nil && r.code >= 200 && r.code < 300 }

// post sends one attempt.
func (c *WebhookClient) post(ctx context.Context, rawURL string, header http.Header, body []byte) webhookResult {
	start := time.Now()
	if u, err := url.Parse(rawURL); err != nil || (u.Scheme != "https" && !(c.AllowLoopback && u.Scheme == "http")) {
		return webhookResult{err: fmt.Errorf("%w: must be https", models.ErrWebhookURL)}
	}
	ctx, cancel := context.WithTimeout(ctx, models.WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, strings.NewReader(string(body)))
	if err != nil {
		return webhookResult{err: err}
	}
	req.Header = header
	res, err := c.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return webhookResult{latency: time.Since(start), err: err}
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, models.WebhookMaxResponse))
	r := webhookResult{code: res.StatusCode, latency: time.Since(start)}
	if res.StatusCode >= 300 && res.StatusCode < 400 {
		r.err = fmt.Errorf("redirect to %q not followed", res.Header.Get("Location"))
	} else if !r.ok() {
		r.err = fmt.Errorf("the endpoint answered %s", res.Status)
	}
	return r
}
