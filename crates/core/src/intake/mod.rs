//! Web-form intake: leads from forms on any website (`/f/<form_key>`), with nothing lost and
//! no bot spam in the lead list.
//!
//! - [`form`]: forms as records (`/api/forms`), their field mapping and the usual field names;
//! - [`token`]: the signed time token of hosted and embedded forms;
//! - [`payload`]: a body of any content type a form sends, read into name/value pairs, with the
//!   form-tool dialects (Elementor's `fields[id][value]`, Tilda's ping) understood;
//! - [`submit`]: one submission, start to end, in ONE transaction with its log row;
//! - [`situation`]: what a submission reads in that transaction, in one statement (a retry's
//!   earlier answer, the rate windows, whose turn, the duplicate);
//! - [`log`]: the submission log and releasing quarantined submissions.
//!
//! What a visitor sees (the hosted page, the thank-you and error pages, the embed script) is
//! presentation, not domain: it lives in `crates/forms-page`.

pub mod form;
pub mod log;
pub mod payload;
mod situation;
pub mod submit;
pub mod token;

/// The honeypot input: hidden from people, filled by bots.
pub const HONEYPOT: &str = "_hp";
/// The input carrying the time token.
pub const TIME_TOKEN: &str = "_ts";
/// The input carrying the consent checkbox.
pub const CONSENT: &str = "_consent";
/// A field a client may send to make retries idempotent (like `Idempotency-Key`).
pub const SUBMISSION_ID: &str = "submission_id";
/// The largest body a form may post.
pub const MAX_BODY: usize = 64 * 1024;
