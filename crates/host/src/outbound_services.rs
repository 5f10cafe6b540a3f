//! Redis, MQTT, PostgreSQL and MySQL: linked as Spin links them, with no client behind them.
//!
//! Spin lets a component open a connection to these services only at an address its
//! `allowed_outbound_hosts` allows (a `redis://`, `mqtt://`, `postgres://` or `mysql://` entry,
//! or a `*://` one, matched by [`crate::allowed_hosts`]), and refuses any other address with
//! the error Spin gives: `invalid-address` for Redis, `connection-failed("address … is not
//! permitted")` for the others. This runtime has no client for these services, so an allowed
//! address fails as a connection to an absent service fails on Spin (`other` for Redis,
//! `connection-failed` for the others), saying that this runtime does not provide it. An app
//! importing them therefore loads, runs, and sees errors its own handling already knows.
//! Since `open` never succeeds, no connection resource ever exists: the methods on one are
//! unreachable and trap.

use wasmtime::component::Resource;

use crate::allowed_hosts::{Host, well_known_port};
use crate::state::RequestState;

/// Whether the component may connect to `address` (a URL whose scheme defaults to `scheme`).
fn permitted(state: &RequestState, address: &str, scheme: &str) -> bool {
    let allowed = address.parse::<http::Uri>().ok().and_then(|uri| {
        let scheme = uri.scheme_str().unwrap_or(scheme).to_ascii_lowercase();
        let port = uri.port_u16().or_else(|| well_known_port(&scheme))?;
        let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
        Some(state.caps.outbound.allowed.allows(&scheme, Host::Name(host), port))
    });
    if allowed != Some(true) {
        eprintln!(
            "[{}] {scheme} connection to {address} denied: not in allowed_outbound_hosts",
            state.caps.id
        );
    }
    allowed == Some(true)
}

fn not_permitted(address: &str) -> String {
    format!("address {address} is not permitted")
}

fn not_provided(service: &str, address: &str) -> String {
    format!("cannot connect to {address}: this runtime (crm-host) provides no {service} client")
}

fn no_connection<T>() -> wasmtime::Result<T> {
    Err(wasmtime::Error::msg("no such connection: this runtime never opens one"))
}

mod redis {
    use super::*;
    use crate::bindings::fermyon::spin::redis::{self as r, Connection, Error, RedisParameter, RedisResult};

    impl r::Host for RequestState {}

    impl r::HostConnection for RequestState {
        fn open(&mut self, address: String) -> wasmtime::Result<Result<Resource<Connection>, Error>> {
            Ok(Err(if permitted(self, &address, "redis") {
                Error::Other(not_provided("Redis", &address))
            } else {
                Error::InvalidAddress
            }))
        }
        fn publish(&mut self, _: Resource<Connection>, _: String, _: Vec<u8>) -> wasmtime::Result<Result<(), Error>> {
            no_connection()
        }
        fn get(&mut self, _: Resource<Connection>, _: String) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
            no_connection()
        }
        fn set(&mut self, _: Resource<Connection>, _: String, _: Vec<u8>) -> wasmtime::Result<Result<(), Error>> {
            no_connection()
        }
        fn incr(&mut self, _: Resource<Connection>, _: String) -> wasmtime::Result<Result<i64, Error>> {
            no_connection()
        }
        fn del(&mut self, _: Resource<Connection>, _: Vec<String>) -> wasmtime::Result<Result<u32, Error>> {
            no_connection()
        }
        fn sadd(&mut self, _: Resource<Connection>, _: String, _: Vec<String>) -> wasmtime::Result<Result<u32, Error>> {
            no_connection()
        }
        fn smembers(&mut self, _: Resource<Connection>, _: String) -> wasmtime::Result<Result<Vec<String>, Error>> {
            no_connection()
        }
        fn srem(&mut self, _: Resource<Connection>, _: String, _: Vec<String>) -> wasmtime::Result<Result<u32, Error>> {
            no_connection()
        }
        fn execute(
            &mut self,
            _: Resource<Connection>,
            _: String,
            _: Vec<RedisParameter>,
        ) -> wasmtime::Result<Result<Vec<RedisResult>, Error>> {
            no_connection()
        }
        fn drop(&mut self, _: Resource<Connection>) -> wasmtime::Result<()> {
            Ok(())
        }
    }
}

mod mqtt {
    use super::*;
    use crate::bindings::fermyon::spin::mqtt::{self as m, Connection, Error, Qos};

    impl m::Host for RequestState {}

    impl m::HostConnection for RequestState {
        fn open(
            &mut self,
            address: String,
            _username: String,
            _password: String,
            _keep_alive_interval_in_secs: u64,
        ) -> wasmtime::Result<Result<Resource<Connection>, Error>> {
            Ok(Err(Error::ConnectionFailed(if permitted(self, &address, "mqtt") {
                not_provided("MQTT", &address)
            } else {
                not_permitted(&address)
            })))
        }
        fn publish(
            &mut self,
            _: Resource<Connection>,
            _: String,
            _: Vec<u8>,
            _: Qos,
        ) -> wasmtime::Result<Result<(), Error>> {
            no_connection()
        }
        fn drop(&mut self, _: Resource<Connection>) -> wasmtime::Result<()> {
            Ok(())
        }
    }
}

/// PostgreSQL and MySQL: every version of their interfaces has the same `connection` shape.
macro_rules! rdbms {
    ($m:path, $service:literal, $scheme:literal, $params:ty, $rows:ty, $executed:ty) => {
        const _: () = {
            use db::{Connection, Error};
            use $m as db;

            impl db::Host for RequestState {}

            impl db::HostConnection for RequestState {
                fn open(&mut self, address: String) -> wasmtime::Result<Result<Resource<Connection>, Error>> {
                    Ok(Err(Error::ConnectionFailed(
                        if permitted(self, &address, $scheme) {
                            not_provided($service, &address)
                        } else {
                            not_permitted(&address)
                        },
                    )))
                }
                fn query(
                    &mut self,
                    _: Resource<Connection>,
                    _: String,
                    _: Vec<$params>,
                ) -> wasmtime::Result<Result<$rows, Error>> {
                    no_connection()
                }
                fn execute(
                    &mut self,
                    _: Resource<Connection>,
                    _: String,
                    _: Vec<$params>,
                ) -> wasmtime::Result<Result<$executed, Error>> {
                    no_connection()
                }
                fn drop(&mut self, _: Resource<Connection>) -> wasmtime::Result<()> {
                    Ok(())
                }
            }
        };
    };
}

impl crate::bindings::fermyon::spin::rdbms_types::Host for RequestState {}

use crate::bindings::fermyon::spin::rdbms_types::{ParameterValue, RowSet};
rdbms!(
    crate::bindings::fermyon::spin::postgres,
    "PostgreSQL",
    "postgres",
    ParameterValue,
    RowSet,
    u64
);
rdbms!(
    crate::bindings::fermyon::spin::mysql,
    "MySQL",
    "mysql",
    ParameterValue,
    RowSet,
    ()
);
rdbms!(
    crate::bindings::spin::postgres3_0_0::postgres,
    "PostgreSQL",
    "postgres",
    crate::bindings::spin::postgres3_0_0::postgres::ParameterValue,
    crate::bindings::spin::postgres3_0_0::postgres::RowSet,
    u64
);
rdbms!(
    crate::bindings::spin::postgres4_0_0::postgres,
    "PostgreSQL",
    "postgres",
    crate::bindings::spin::postgres4_0_0::postgres::ParameterValue,
    crate::bindings::spin::postgres4_0_0::postgres::RowSet,
    u64
);
