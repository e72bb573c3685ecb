//! Host names of `http(s)://` inputs, judged by the addresses they resolve
//! to, not only by how they are written.
//!
//! [`redirect_refused`](crate::store::redirect_refused) keeps a chain
//! that starts at a public host away from internal hosts *written* as such
//! (an address literal, `localhost`). A name can still resolve to one: a
//! public page redirects to `http://metadata.attacker.example/`, whose
//! DNS answers 169.254.169.254; or the input's own name answers a public
//! address when it is first looked up and 127.0.0.1 when the connection is
//! made (DNS rebinding). So an input whose host is public is fetched with
//! a client whose resolver ([`Resolver`] with `public_only`) gives every host it meets —
//! the input's, each redirect's — its public addresses only, at the moment
//! of connecting. An input whose host is internal, as written or as
//! resolved (to non-public addresses only), is the user's own choice and is
//! fetched as before.

use futures::future::BoxFuture;
use preflight::net::is_public;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Looks a host name up: its addresses.
pub(crate) type Lookup =
    Arc<dyn Fn(String) -> BoxFuture<'static, std::io::Result<Vec<IpAddr>>> + Send + Sync>;

/// The system's resolver (`getaddrinfo` on tokio's blocking pool, as
/// reqwest's own resolver does).
pub(crate) fn system_lookup() -> Lookup {
    Arc::new(|host: String| {
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    })
}

/// Whether `host` (a name) resolves to non-public addresses only. A name
/// with a public address among its answers is public (it is then reached
/// at those only), and so is one that cannot be looked up within `wait`
/// (its connection, which looks it up again, fails on its own).
pub(crate) async fn resolves_internal(lookup: &Lookup, host: &str, wait: Duration) -> bool {
    match tokio::time::timeout(wait, lookup(host.to_string())).await {
        Ok(Ok(ips)) => !ips.is_empty() && ips.into_iter().all(|ip| !is_public(ip)),
        _ => false,
    }
}

/// A host name met on the way from a public input that resolves to
/// internal addresses only.
#[derive(Debug, thiserror::Error)]
#[error(
    "{0} resolves only to internal addresses, which an input from a public host does not reach"
)]
pub(crate) struct InternalOnly(pub String);

/// The clients' resolver: a name's addresses by [`Lookup`]; with
/// `public_only` (the client for inputs from public hosts), its public
/// addresses only, and [`InternalOnly`] where it has none.
pub(crate) struct Resolver {
    pub lookup: Lookup,
    pub public_only: bool,
}

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        let lookup = (self.lookup)(host.clone());
        let public_only = self.public_only;
        Box::pin(async move {
            let all = lookup.await?;
            let public: Vec<SocketAddr> = all
                .iter()
                .filter(|ip| !public_only || is_public(**ip))
                .map(|&ip| SocketAddr::new(ip, 0))
                .collect();
            if public.is_empty() && !all.is_empty() {
                return Err(
                    Box::new(InternalOnly(host)) as Box<dyn std::error::Error + Send + Sync>
                );
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether a reqwest error was caused by [`InternalOnly`] (not retried: it
/// would be refused again).
pub(crate) fn internal_only(e: &reqwest::Error) -> bool {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if s.is::<InternalOnly>() {
            return true;
        }
        src = s.source();
    }
    false
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use reqwest::dns::Resolve;
    use std::collections::HashMap;

    /// A lookup from a table; a name not in it is not found.
    pub(crate) fn table(t: &[(&str, &[&str])]) -> Lookup {
        let t: HashMap<String, Vec<IpAddr>> = t
            .iter()
            .map(|(h, ips)| {
                (
                    h.to_string(),
                    ips.iter().map(|i| i.parse().unwrap()).collect(),
                )
            })
            .collect();
        Arc::new(move |host: String| {
            let found = t.get(&host).cloned();
            Box::pin(async move {
                found.ok_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::NotFound, "no such host")
                })
            })
        })
    }

    /// A runtime for one test's requests.
    pub(crate) fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_public_origin_resolves_names_to_public_addresses_only() {
        let lookup = table(&[
            ("cdn.example", &["93.184.216.34", "2606:4700::1111"]),
            ("mixed.example", &["10.0.0.7", "93.184.216.35"]),
            ("metadata.example", &["169.254.169.254"]),
            ("rebound.example", &["127.0.0.1", "::1"]),
            ("mapped.example", &["::ffff:192.168.1.1"]),
        ]);
        let r = Resolver {
            lookup: lookup.clone(),
            public_only: true,
        };
        let rt = runtime();
        let resolve = |h: &str| rt.block_on(r.resolve(h.parse().unwrap()));
        let ips = |h: &str| -> Vec<IpAddr> { resolve(h).unwrap().map(|a| a.ip()).collect() };
        assert_eq!(
            ips("cdn.example"),
            [
                "93.184.216.34".parse::<IpAddr>().unwrap(),
                "2606:4700::1111".parse().unwrap()
            ]
        );
        assert_eq!(
            ips("mixed.example"),
            ["93.184.216.35".parse::<IpAddr>().unwrap()]
        );
        for h in ["metadata.example", "rebound.example", "mapped.example"] {
            let e = resolve(h).err().expect(h);
            assert!(e.is::<InternalOnly>(), "{h}: {e}");
            assert!(
                e.to_string()
                    .starts_with(&format!("{h} resolves only to internal")),
                "{e}"
            );
        }
        // Not found stays not found (the lookup's error), not InternalOnly.
        let e = resolve("missing.example").err().unwrap();
        assert!(!e.is::<InternalOnly>(), "{e}");
        // The other client's resolver gives every address.
        let any = Resolver {
            lookup: lookup.clone(),
            public_only: false,
        };
        let all: Vec<IpAddr> = rt
            .block_on(any.resolve("mixed.example".parse().unwrap()))
            .unwrap()
            .map(|a| a.ip())
            .collect();
        assert_eq!(all.len(), 2);

        // How an input's own host is judged.
        let wait = Duration::from_secs(5);
        for (h, internal) in [
            ("cdn.example", false),
            ("mixed.example", false),
            ("metadata.example", true),
            ("rebound.example", true),
            ("missing.example", false),
        ] {
            assert_eq!(
                rt.block_on(resolves_internal(&lookup, h, wait)),
                internal,
                "{h}"
            );
        }
    }
}
