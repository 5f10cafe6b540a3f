//! The deals and leads funnels (written by the funnel work; this is its interface).

use crate::acl::Caller;
use crate::db::Db;
use crate::error::CoreError;

/// What a funnel is asked for: the pipeline (deals; the default one when absent) and the
/// period of creation (inclusive dates in the firm's zone).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunnelParams {
    /// The pipeline, for the deals funnel.
    pub pipeline_id: Option<i64>,
    /// The first day.
    pub from: Option<String>,
    /// The last day (inclusive).
    pub to: Option<String>,
}

/// The deals funnel Result.
pub fn deals(_db: &dyn Db, _caller: &Caller, _params: &FunnelParams) -> Result<serde_json::Value, CoreError> {
    Err(CoreError::NotFound)
}

/// The leads funnel Result.
pub fn leads(_db: &dyn Db, _caller: &Caller, _params: &FunnelParams) -> Result<serde_json::Value, CoreError> {
    Err(CoreError::NotFound)
}
