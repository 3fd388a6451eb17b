-- +goose Up
-- OpenID Connect for apps, and the step-up context of a user's tokens.
--
-- An authorization may be for the user's identity alone (scope openid, no API): its
-- code and its consent then name no API, so api_id becomes nullable. A code also keeps
-- the identity scopes asked for (openid, profile, email, offline_access), the client's
-- nonce for the ID token, and how the user authenticated as the upstream provider
-- asserted it (acr, amr), so the tokens can say so.
ALTER TABLE authorization_codes ALTER COLUMN api_id DROP NOT NULL;
ALTER TABLE authorization_codes ADD COLUMN identity_scopes TEXT NOT NULL DEFAULT '';
ALTER TABLE authorization_codes ADD COLUMN nonce TEXT NOT NULL DEFAULT '';
ALTER TABLE authorization_codes ADD COLUMN acr TEXT NOT NULL DEFAULT '';
ALTER TABLE authorization_codes ADD COLUMN amr TEXT NOT NULL DEFAULT '';

-- A consent with no API is for the user's identity.
ALTER TABLE consents DROP CONSTRAINT consents_pkey;
ALTER TABLE consents ALTER COLUMN api_id DROP NOT NULL;
CREATE UNIQUE INDEX consents_key ON consents (user_id, project_id, COALESCE(api_id, ''));

-- +goose Down
DROP INDEX consents_key;
DELETE FROM consents WHERE api_id IS NULL;
ALTER TABLE consents ALTER COLUMN api_id SET NOT NULL;
ALTER TABLE consents ADD PRIMARY KEY (user_id, project_id, api_id);
DELETE FROM authorization_codes WHERE api_id IS NULL;
ALTER TABLE authorization_codes ALTER COLUMN api_id SET NOT NULL;
ALTER TABLE authorization_codes DROP COLUMN identity_scopes;
ALTER TABLE authorization_codes DROP COLUMN nonce;
ALTER TABLE authorization_codes DROP COLUMN acr;
ALTER TABLE authorization_codes DROP COLUMN amr;
