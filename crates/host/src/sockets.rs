//! `wasi:sockets` by `allowed_outbound_hosts`: TCP and UDP where the manifest allows them.
//!
//! As on Spin, a socket is outbound only: a TCP connect is checked as `tcp://ip:port`, a UDP
//! datagram sent or received as `udp://ip:port`, against the component's entries (scheme
//! `tcp`, `udp` or `*`); listening and accepting are always refused. Binding a local address
//! is allowed (every connect binds one implicitly), but a socket so bound reaches nothing
//! the manifest does not allow. A component with no entry that may apply to `tcp` (or
//! `udp`) has no TCP (or UDP) at all, and name lookups (`wasi:sockets/ip-name-lookup`) are
//! enabled only for a component that has sockets. An entry naming a host matches the
//! addresses that name resolves to when the connection is made. A refusal is
//! `access-denied` inside the guest and one line in the log.

use std::net::SocketAddr;
use std::sync::Arc;

use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::sockets::SocketAddrUse;

use crate::allowed_hosts::Host;
use crate::outbound::OutboundPolicy;

/// Enables the sockets `policy` allows on a guest's WASI context, behind its address check.
pub fn configure(wasi: &mut WasiCtxBuilder, policy: &Arc<OutboundPolicy>) {
    let (tcp, udp) = (policy.allowed.may_use("tcp"), policy.allowed.may_use("udp"));
    wasi.allow_tcp(tcp).allow_udp(udp).allow_ip_name_lookup(tcp || udp);
    if tcp || udp {
        let policy = policy.clone();
        wasi.socket_addr_check(move |addr, use_| {
            let policy = policy.clone();
            Box::pin(async move { allows(&policy, addr, use_).await })
        });
    }
}

/// Whether the component may use `addr` so.
async fn allows(policy: &OutboundPolicy, addr: SocketAddr, use_: SocketAddrUse) -> bool {
    let scheme = match use_ {
        SocketAddrUse::TcpBind | SocketAddrUse::UdpBind => return true,
        SocketAddrUse::TcpListen | SocketAddrUse::TcpAccept => {
            eprintln!(
                "[{}] refused to listen on {addr}: Spin components may not accept connections",
                policy.component
            );
            return false;
        }
        SocketAddrUse::TcpConnect => "tcp",
        SocketAddrUse::UdpSend | SocketAddrUse::UdpReceive => "udp",
    };
    let ip = addr.ip().to_canonical();
    if policy.allowed.allows(scheme, Host::Ip(ip), addr.port()) || resolves_to_allowed_name(policy, scheme, addr).await
    {
        return true;
    }
    if !matches!(use_, SocketAddrUse::UdpReceive) {
        eprintln!(
            "[{}] {scheme} connection to {addr} denied: not in allowed_outbound_hosts",
            policy.component
        );
    }
    false
}

/// Whether an entry naming a host (`tcp://db.internal:5432`) allows `addr` because that name
/// resolves to it now.
async fn resolves_to_allowed_name(policy: &OutboundPolicy, scheme: &str, addr: SocketAddr) -> bool {
    let ip = addr.ip().to_canonical();
    for entry in &policy.allowed.0 {
        let Some(name) = entry.name_for(scheme, addr.port()) else {
            continue;
        };
        if let Ok(mut found) = tokio::net::lookup_host((name, addr.port())).await
            && found.any(|a| a.ip().to_canonical() == ip)
        {
            return true;
        }
    }
    false
}
