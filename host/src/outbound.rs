//! `allowed_outbound_hosts`, as Spin enforces it: a component may only open connections
//! (PostgreSQL, HTTP) whose scheme, host and port match an entry of its list. A host
//! `*.example.com` matches any subdomain of example.com (not itself), as Spin's
//! `HostConfig::AnySubdomain` (spinframework/spin v3.6.3
//! crates/outbound-networking-config/src/allowed_hosts.rs).

use anyhow::{Context, bail};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    scheme: String,
    /// `None` means `*`; `*.example.com` is kept as written.
    host: Option<String>,
    /// `None` means `*`.
    port: Option<u16>,
}

#[derive(Debug, Clone, Default)]
pub struct AllowedHosts(Vec<AllowedHost>);

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "postgres" | "postgresql" => Some(5432),
        "http" => Some(80),
        "https" => Some(443),
        "mysql" => Some(3306),
        "redis" => Some(6379),
        _ => None,
    }
}

impl AllowedHost {
    pub fn parse(entry: &str) -> anyhow::Result<Self> {
        let (scheme, rest) = entry
            .split_once("://")
            .with_context(|| format!("allowed host {entry:?} needs a scheme, e.g. postgres://"))?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') {
            bail!("allowed host {entry:?} must not contain a path");
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, "*")) => (h, None),
            Some((h, p)) => (
                h,
                Some(
                    p.parse::<u16>()
                        .with_context(|| format!("allowed host {entry:?}: bad port {p:?}"))?,
                ),
            ),
            None => (
                rest,
                Some(default_port(scheme).with_context(|| {
                    format!("allowed host {entry:?}: no default port for scheme {scheme}")
                })?),
            ),
        };
        if host.is_empty() {
            bail!("allowed host {entry:?} has no host");
        }
        if host != "*" && host.trim_start_matches("*.").contains('*') {
            bail!(
                "allowed host {entry:?}: wildcards are allowed only as subdomains (*.example.com)"
            );
        }
        Ok(Self {
            scheme: scheme.to_string(),
            host: (host != "*").then(|| host.to_ascii_lowercase()),
            port,
        })
    }
}

impl AllowedHost {
    /// Whether the host part matches `host` (case-insensitive; IPv6 brackets ignored).
    fn host_matches(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        match self.host.as_deref() {
            None => true,
            Some(pattern) => match pattern.strip_prefix('*') {
                // `*.example.com`: the suffix with its dot, as Spin compares.
                Some(suffix) => host.to_ascii_lowercase().ends_with(suffix),
                None => pattern
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .eq_ignore_ascii_case(host),
            },
        }
    }
}

impl AllowedHosts {
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> anyhow::Result<Self> {
        entries
            .iter()
            .map(|e| AllowedHost::parse(e.as_ref()))
            .collect::<anyhow::Result<Vec<_>>>()
            .map(Self)
    }

    /// Whether a PostgreSQL connection string (URL form) may be opened.
    pub fn allows_postgres(&self, address: &str) -> bool {
        let Ok(url) = url::Url::parse(address) else {
            return false;
        };
        let scheme = url.scheme();
        if scheme != "postgres" && scheme != "postgresql" {
            return false;
        }
        let Some(host) = url.host_str() else {
            return false;
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = url.port().unwrap_or(5432);
        self.0.iter().any(|allowed| {
            (allowed.scheme == "postgres"
                || allowed.scheme == "postgresql"
                || allowed.scheme == "*")
                && allowed.host_matches(host)
                && allowed.port.is_none_or(|p| p == port)
        })
    }

    /// Whether an outbound HTTP request to `scheme://host[:port]` may be sent (the port
    /// defaults to the scheme's, 80 or 443), as Spin's `check_url`.
    pub fn allows_url(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let Some(port) = port.or_else(|| default_port(scheme)) else {
            return false;
        };
        self.0.iter().any(|allowed| {
            (allowed.scheme == scheme || allowed.scheme == "*")
                && allowed.host_matches(host)
                && allowed.port.is_none_or(|p| p == port)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matching_host_and_port_is_allowed() {
        let a = AllowedHosts::parse(&["postgres://127.0.0.1:5432"]).expect("valid");
        assert!(a.allows_postgres("postgres://u@127.0.0.1:5432/db?sslmode=disable"));
        assert!(a.allows_postgres("postgres://u@127.0.0.1/db"));
    }

    #[test]
    fn another_host_or_port_is_refused() {
        let a = AllowedHosts::parse(&["postgres://127.0.0.1:5432"]).expect("valid");
        assert!(!a.allows_postgres("postgres://u@10.0.0.1:5432/db"));
        assert!(!a.allows_postgres("postgres://u@127.0.0.1:21699/db"));
        assert!(!a.allows_postgres("mysql://u@127.0.0.1:5432/db"));
        assert!(!a.allows_postgres("host=127.0.0.1 user=x"));
    }

    #[test]
    fn no_entries_allow_nothing() {
        assert!(!AllowedHosts::default().allows_postgres("postgres://127.0.0.1/db"));
    }

    #[test]
    fn wildcards_match_any_host_or_port() {
        let a = AllowedHosts::parse(&["postgres://*:*"]).expect("valid");
        assert!(a.allows_postgres("postgres://db.example.com:21699/x"));
    }

    #[test]
    fn an_http_url_needs_its_scheme_host_and_port_listed() {
        let a = AllowedHosts::parse(&["https://fcm.googleapis.com", "http://127.0.0.1:8080"])
            .expect("valid");
        assert!(a.allows_url("https", "fcm.googleapis.com", None));
        assert!(a.allows_url("https", "FCM.googleapis.com", Some(443)));
        assert!(!a.allows_url("http", "fcm.googleapis.com", None));
        assert!(!a.allows_url("https", "fcm.googleapis.com", Some(8443)));
        assert!(a.allows_url("http", "127.0.0.1", Some(8080)));
        assert!(!a.allows_url("http", "127.0.0.1", None));
        assert!(!a.allows_url("https", "example.com", None));
    }

    #[test]
    fn a_subdomain_wildcard_matches_subdomains_only_as_in_spin() {
        let a = AllowedHosts::parse(&["https://*.notify.windows.com"]).expect("valid");
        assert!(a.allows_url("https", "wns2-par02p.notify.windows.com", None));
        assert!(a.allows_url("https", "a.b.notify.windows.com", None));
        assert!(!a.allows_url("https", "notify.windows.com", None));
        assert!(!a.allows_url("https", "evilnotify.windows.com", None));
        assert!(AllowedHost::parse("https://a*.example.com").is_err());
    }

    #[test]
    fn an_entry_with_a_path_is_refused_like_spin_does() {
        assert!(AllowedHost::parse("postgres://h:5432/db").is_err());
    }
}
