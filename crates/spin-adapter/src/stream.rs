//! Streamed responses: a handler that answers with a [`Streamed`] body (an export of a
//! hundred thousand rows) hands out its bytes a chunk at a time, and the entry point of
//! [`streaming_component!`](crate::streaming_component) sends each chunk as it comes, so the
//! instance never holds the whole body.
//!
//! The head goes out before the first chunk is asked for, so whatever can fail with a 4xx must
//! fail in the handler, before it returns the [`Streamed`]. A chunk that fails after the head
//! was sent ends the body WITHOUT finishing it (wasi-http: an outgoing body dropped unfinished
//! is an error), so the client sees a broken transfer rather than a short file that looks whole.
//!
//! Tables served the plain way ([`crate::routes::Routes::serve`], native tests) get the chunks
//! collected into one body.

use spin_sdk::http::{Fields, OutgoingResponse, Response, ResponseOutparam};

use crate::problem::{ApiError, error_response};

/// The next chunk of a body, `None` at its end.
pub type Chunks = Box<dyn FnMut() -> Result<Option<Vec<u8>>, ApiError>>;

/// A response whose body is produced while it is sent.
pub struct Streamed {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: Vec<(String, String)>,
    /// The body, chunk by chunk.
    pub chunks: Chunks,
}

/// What a route answers: a whole response, or one streamed.
pub enum Reply {
    /// A response held whole.
    Whole(Response),
    /// A response sent chunk by chunk.
    Streamed(Streamed),
}

impl Reply {
    /// The response held whole: a streamed body collected (a failing chunk is its problem).
    pub fn into_whole(self) -> Response {
        match self {
            Reply::Whole(response) => response,
            Reply::Streamed(mut streamed) => {
                let mut body = Vec::new();
                loop {
                    match (streamed.chunks)() {
                        Ok(Some(chunk)) => body.extend(chunk),
                        Ok(None) => break,
                        Err(e) => return error_response(&e),
                    }
                }
                let mut builder = Response::builder();
                builder.status(streamed.status);
                for (name, value) in streamed.headers {
                    builder.header(name, value);
                }
                builder.body(body).build()
            }
        }
    }
}

/// What the wasi-http output stream takes per blocking write.
const WRITE_MAX: usize = 4096;

/// Sends `reply` through Spin's response outparam: the head, then each chunk as it is made.
pub async fn send(reply: Reply, out: ResponseOutparam) {
    let (status, headers, mut chunks): (u16, Vec<(String, Vec<u8>)>, Chunks) = match reply {
        Reply::Whole(response) => {
            let headers = response
                .headers()
                .map(|(name, value)| (name.to_string(), value.as_bytes().to_vec()))
                .collect();
            let status = *response.status();
            let mut body = Some(response.into_body());
            (status, headers, Box::new(move || Ok(body.take())))
        }
        Reply::Streamed(streamed) => (
            streamed.status,
            streamed
                .headers
                .into_iter()
                .map(|(name, value)| (name, value.into_bytes()))
                .collect(),
            streamed.chunks,
        ),
    };
    let Ok(fields) = Fields::from_list(&headers) else {
        eprintln!("a response header is not valid");
        return;
    };
    let response = OutgoingResponse::new(fields);
    if response.set_status_code(status).is_err() {
        eprintln!("status {status} is not valid");
        return;
    }
    let Ok(body) = response.body() else {
        return;
    };
    out.set(response);
    let Ok(stream) = body.write() else {
        return;
    };
    loop {
        match chunks() {
            Ok(Some(chunk)) => {
                for piece in chunk.chunks(WRITE_MAX) {
                    if let Err(e) = stream.blocking_write_and_flush(piece) {
                        // The client went away: nothing more to send to anyone.
                        eprintln!("the response body could not be written: {e:?}");
                        return;
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                // The head is sent: end the body unfinished, so the transfer is seen broken.
                eprintln!("a streamed body failed after its head was sent: {e:?}");
                return;
            }
        }
    }
    drop(stream);
    let _ = spin_sdk::http::OutgoingBody::finish(body, None);
}
