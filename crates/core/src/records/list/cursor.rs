//! The opaque list cursor: the last row's sort-key values and a fingerprint of the sort they
//! belong to, so a cursor from another sort is a 400 rather than a wrong page.

use super::*;
use base64::Engine as _;

pub(super) fn sort_fingerprint(spec: &str) -> String {
    use sha2::Digest as _;
    hex::encode(&sha2::Sha256::digest(spec.as_bytes())[..4])
}

pub(super) fn encode_cursor(spec: &str, keys: &[Value]) -> String {
    let values: Vec<Json> = keys
        .iter()
        .map(|v| match v {
            Value::Integer(i) => json!(i),
            Value::Real(f) => json!(f),
            Value::Text(s) => json!(s),
            _ => Json::Null,
        })
        .collect();
    let body = json!([sort_fingerprint(spec), values]).to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(body)
}

pub(super) fn decode_cursor(text: &str, spec: &str, keys: usize) -> Result<Vec<Value>, CoreError> {
    let invalid = || bad(format!("cursor {text:?} is not a valid cursor for this sort"));
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| invalid())?;
    let parsed: (String, Vec<Json>) = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if parsed.0 != sort_fingerprint(spec) || parsed.1.len() != keys {
        return Err(invalid());
    }
    parsed
        .1
        .iter()
        .map(|j| match j {
            Json::Null => Ok(Value::Null),
            Json::Number(n) => n
                .as_i64()
                .map(Value::Integer)
                .or(n.as_f64().map(Value::Real))
                .ok_or_else(invalid),
            Json::String(s) => Ok(Value::Text(s.clone())),
            _ => Err(invalid()),
        })
        .collect()
}
