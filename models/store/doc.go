// Package store is Gatehouse's persistence and the domain's services over it: every
// change goes through a Store method that takes the acting models.Actor, decides
// permission first (models/authz), validates, and writes the change, its audit event and
// its outbox event (models.Event) in one transaction; subscribers hear of the event once
// it has committed. It also holds the signer (key ring, JWKS, status lists) and the
// OAuth client authentication and grants, which read the database on every call.
package store
