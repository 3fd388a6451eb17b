-- +goose Up
-- Mutual TLS (RFC 8705): client authentication by TLS client certificate and
-- certificate-bound tokens. The methods themselves (tls_client_auth,
-- self_signed_tls_client_auth) are values of projects.auth_methods; self-signed
-- certificates are client keys (a JWK with x5c).
--
-- A project's tls_client_auth rule: which certificate field (subject_dn, san_dns, san_uri,
-- san_ip, san_email) must hold which value. Set by the project's team admins.
ALTER TABLE projects ADD COLUMN tls_auth_field TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN tls_auth_value TEXT NOT NULL DEFAULT '';
-- Whether its tokens are bound to the certificate it presents, whatever it
-- authenticates with (tls_client_certificate_bound_access_tokens).
ALTER TABLE projects ADD COLUMN certificate_bound_tokens BOOLEAN NOT NULL DEFAULT FALSE;
-- The x5t#S256 of the certificate a refresh family is bound to ('': unbound).
ALTER TABLE refresh_tokens ADD COLUMN cert_thumbprint TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE refresh_tokens DROP COLUMN cert_thumbprint;
ALTER TABLE projects DROP COLUMN certificate_bound_tokens;
ALTER TABLE projects DROP COLUMN tls_auth_value;
ALTER TABLE projects DROP COLUMN tls_auth_field;
