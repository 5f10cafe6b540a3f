//! One delivery's POST over `wasi:http`'s outgoing handler — what `spin_sdk::http::send`
//! wraps, used directly for its request options: a receiver gets [`tick::CONNECT_TIMEOUT_MS`]
//! to accept and [`tick::RESPONSE_TIMEOUT_MS`] to answer, so a hanging one cannot hold a tick.
//! The answer's status is all that counts; its body is not read.

use crm_core::webhooks::payload::Message;
use crm_core::webhooks::tick;
use spin_sdk::wit::wasi::http0_2_0::{outgoing_handler, types};

/// POSTs `message` to `url`; the receiver's status, or why there was none.
pub fn post(url: &str, message: &Message) -> Result<u16, String> {
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (types::Scheme::Https, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (types::Scheme::Http, rest)
    } else {
        return Err("the URL is neither http nor https".into());
    };
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };

    let mut fields: Vec<(String, Vec<u8>)> = message
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone().into_bytes()))
        .collect();
    fields.push(("content-length".into(), message.body.len().to_string().into_bytes()));
    let headers = types::Fields::from_list(&fields).map_err(|e| format!("bad header: {e:?}"))?;
    let request = types::OutgoingRequest::new(headers);
    let invalid = |_| "the URL is not valid".to_string();
    request.set_method(&types::Method::Post).map_err(invalid)?;
    request.set_scheme(Some(&scheme)).map_err(invalid)?;
    request.set_authority(Some(authority)).map_err(invalid)?;
    request.set_path_with_query(Some(&path)).map_err(invalid)?;
    let body = request.body().map_err(|_| "no request body".to_string())?;

    let options = types::RequestOptions::new();
    let nanos = |ms: u64| ms * 1_000_000;
    let _ = options.set_connect_timeout(Some(nanos(tick::CONNECT_TIMEOUT_MS)));
    let _ = options.set_first_byte_timeout(Some(nanos(tick::RESPONSE_TIMEOUT_MS)));
    let _ = options.set_between_bytes_timeout(Some(nanos(tick::RESPONSE_TIMEOUT_MS)));

    let pending = outgoing_handler::handle(request, Some(options)).map_err(describe)?;
    // A receiver that is down fails the body's stream first; the response's error code then
    // says why, so it is preferred to the stream's.
    let written = write_body(body, &message.body);
    pending.subscribe().block();
    match pending.get() {
        Some(Ok(Ok(response))) => written.map(|()| response.status()),
        Some(Ok(Err(code))) => Err(describe(code)),
        Some(Err(())) | None => Err(written.err().unwrap_or_else(|| "no response".into())),
    }
}

fn write_body(body: types::OutgoingBody, bytes: &[u8]) -> Result<(), String> {
    {
        let stream = body
            .write()
            .map_err(|_| "the request body cannot be written".to_string())?;
        for chunk in bytes.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| format!("sending the body failed: {e:?}"))?;
        }
    }
    types::OutgoingBody::finish(body, None).map_err(describe)
}

/// A short text for a `wasi:http` error code.
fn describe(code: types::ErrorCode) -> String {
    use types::ErrorCode as E;
    match code {
        E::DnsError(_) => "the host name does not resolve".into(),
        E::ConnectionRefused => "connection refused".into(),
        E::ConnectionTimeout => "no connection within the timeout".into(),
        E::ConnectionReadTimeout => "no answer within the timeout".into(),
        E::HttpResponseTimeout => "no answer within the timeout".into(),
        E::TlsCertificateError | E::TlsAlertReceived(_) | E::TlsProtocolError => "TLS failed".into(),
        E::HttpRequestDenied => "the host is not in allowed_outbound_hosts (the webhook_hosts variable)".into(),
        other => format!("{other:?}"),
    }
}
