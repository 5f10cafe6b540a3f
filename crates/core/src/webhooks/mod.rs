//! Outbound webhooks (issue 19): other systems learn of changes in the CRM.
//!
//! ```text
//! a record write ──trigger (same statement)──> webhook_deliveries (the outbox)
//!        POST /internal/tick ──> planner::claim_due ──> payload::build ──> HTTP ──> planner::record_attempt
//! ```
//!
//! - [`events`]: the events, native (`lead.created`, `deal.stage_changed`) and Bitrix24's
//!   (`ONCRMLEADADD`), and reading a subscription's list;
//! - [`subscription`]: subscriptions as a resource on the kit (`/api/webhooks`), the secret
//!   shown once and rotated, pause and resume;
//! - [`planner`]: due deliveries, backoff, pausing after failures in a row, the delivery log
//!   and manual retries;
//! - [`payload`]: the bodies (Bitrix24's form or JSON with the record) and headers;
//! - [`signature`]: `X-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`;
//! - [`tick`]: who may call `POST /internal/tick` and how much one call does.
//!
//! The outbox rows are written by the triggers of `sql/0029_webhooks.sql` in the statement
//! that changes the record, whoever writes it, and only for the events an active subscription
//! wants: a rolled-back change leaves no event, and a firm with no subscriptions pays one
//! probe of an empty index per write. Sending is not core's: the `webhooks` component sends
//! what [`planner::claim_due`] gives it with the runtime's outbound HTTP and reports each
//! outcome back.

pub mod events;
pub mod payload;
pub mod planner;
pub mod signature;
pub mod subscription;
pub mod tick;
