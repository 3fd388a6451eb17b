-- +goose Up
-- DPoP (RFC 9449): sender-constrained access tokens.
--
-- Whether a project's token requests must carry a DPoP proof: without one, the token
-- endpoint refuses them (set by the project's developers, off by default).
ALTER TABLE projects ADD COLUMN require_dpop BOOLEAN NOT NULL DEFAULT FALSE;

-- The DPoP proofs the token endpoint accepted, by the thumbprint of their key and their
-- jti, until their iat window has passed: a proof is accepted once, by any instance.
CREATE TABLE used_dpop_proofs (
    jkt        TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (jkt, jti)
);
CREATE INDEX used_dpop_proofs_expires ON used_dpop_proofs (expires_at);

-- +goose Down
DROP TABLE used_dpop_proofs;
ALTER TABLE projects DROP COLUMN require_dpop;
