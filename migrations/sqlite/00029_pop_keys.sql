-- +goose Up
-- Proof of possession (RFC 9449) beyond access tokens.
--
-- An API key bound to a public key its developer registered when creating it: the RFC
-- 7638 SHA-256 thumbprint of that key ('' for an unbound key). The key's JWT carries it
-- as cnf.jkt, so it never changes once the key exists.
ALTER TABLE api_keys ADD COLUMN jkt TEXT NOT NULL DEFAULT '';

-- An authorization code bound to the DPoP key its request named (dpop_jkt, RFC 9449
-- §10): redeeming it needs a proof by that key.
ALTER TABLE authorization_codes ADD COLUMN dpop_jkt TEXT NOT NULL DEFAULT '';

-- A public client's refresh family bound to the DPoP key that obtained it (RFC 9449
-- §5): a refresh needs a proof by that key. Every token of the family carries it.
ALTER TABLE refresh_tokens ADD COLUMN dpop_jkt TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE refresh_tokens DROP COLUMN dpop_jkt;
ALTER TABLE authorization_codes DROP COLUMN dpop_jkt;
ALTER TABLE api_keys DROP COLUMN jkt;
