//! Store orders become deals (`/hooks/orders/<key>`): Shopify, WooCommerce and a documented
//! generic JSON format, signed, idempotent, and with nothing acknowledged ever lost.
//!
//! - [`source`]: order sources as records (`/api/order-sources`): kind, secret and its
//!   rotation, pipeline and the store-state -> stage mapping, who gets the deals;
//! - [`signature`]: each kind's HMAC over the raw body, compared in constant time;
//! - [`order`]: the one normalised [`order::Order`], read from [`shopify`], [`woocommerce`]
//!   or [`generic`] payloads;
//! - [`receive`]: one delivery top-down — size, ping, content type, signature, then the inbox
//!   row and its processing in ONE transaction;
//! - [`apply`]: what an order writes through the record engine (contact, company, deal, line
//!   items, timeline), deduplicated and never rolled back by an older update;
//! - [`inbox`]: the inbox of a source and replaying a row.

pub mod apply;
pub mod generic;
pub mod inbox;
pub mod order;
pub mod receive;
pub mod shopify;
pub mod signature;
pub mod source;
pub mod woocommerce;
