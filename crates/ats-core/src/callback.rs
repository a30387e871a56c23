//! [`UrlPolicy`]: which URLs taken from a payload an adapter may call.
//!
//! Some providers send a per-order callback URL and expect the vendor to call
//! it with the customer's credentials. Calling whatever URL a payload names
//! would let anyone who can reach the vendor's endpoint make it send
//! credentials to a host of their choosing (server-side request forgery), so
//! adapters check every such URL against a policy first.

use url::{Host, Url};

use crate::error::Error;

/// Hosts a payload-supplied URL may point to.
///
/// Patterns are exact host names (`app.ats.example`) or a leading wildcard
/// for subdomains (`*.ats.example`, which does not match `ats.example`
/// itself). Only `https` is allowed, except for hosts added with
/// [`UrlPolicy::allow_insecure`] (for local test servers).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    hosts: Vec<String>,
    insecure: Vec<String>,
    ports: Vec<u16>,
}

impl UrlPolicy {
    /// A policy that allows nothing.
    pub fn deny_all() -> Self {
        // Equivalent mutant: replacing this body with `Default::default()`
        // builds the same value, so no test can tell them apart.
        Self::default()
    }

    /// A policy allowing `https` URLs on these host patterns.
    pub fn https_hosts<I, S>(patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            hosts: patterns
                .into_iter()
                .map(|p| p.into().to_ascii_lowercase())
                .collect(),
            insecure: Vec::new(),
            ports: Vec::new(),
        }
    }

    /// Also allows `port` on the allow-listed `https` hosts (only 443, the
    /// default, is allowed otherwise: an allowed host must not become a way
    /// to reach another service on it, such as SSH on 22 or Redis on 6379).
    pub fn allow_port(mut self, port: u16) -> Self {
        self.ports.push(port);
        self
    }

    /// Also allows `https` URLs on this host pattern.
    pub fn allow(mut self, pattern: impl Into<String>) -> Self {
        self.hosts.push(pattern.into().to_ascii_lowercase());
        self
    }

    /// Allows plain `http` (and `https`) on this exact host, e.g. `127.0.0.1`
    /// for a local test server.
    pub fn allow_insecure(mut self, host: impl Into<String>) -> Self {
        self.insecure.push(host.into().to_ascii_lowercase());
        self
    }

    /// Checks a URL; the error names the URL without its query or user info.
    pub fn check(&self, url: &Url) -> Result<(), Error> {
        let host = match url.host() {
            Some(Host::Domain(d)) => d.to_ascii_lowercase(),
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(refuse(url, "it has no host")),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse(url, "it carries user credentials"));
        }
        if self.insecure.iter().any(|h| h == &host) {
            return match url.scheme() {
                "http" | "https" => Ok(()),
                _ => Err(refuse(url, "only http(s) is allowed")),
            };
        }
        if url.scheme() != "https" {
            return Err(refuse(url, "only https is allowed"));
        }
        if !self.hosts.iter().any(|p| host_matches(p, &host)) {
            return Err(refuse(url, "its host is not on the allow-list"));
        }
        match url.port_or_known_default() {
            Some(443) => Ok(()),
            Some(port) if self.ports.contains(&port) => Ok(()),
            _ => Err(refuse(url, "its port is not allowed")),
        }
    }
}

fn host_matches(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(suffix) => host
            .strip_suffix(suffix)
            .is_some_and(|rest| rest.ends_with('.') && rest.len() > 1),
        None => pattern == host,
    }
}

fn refuse(url: &Url, reason: &str) -> Error {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    Error::UntrustedUrl {
        url: shown.to_string(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn exact_and_wildcard_hosts() {
        let p = UrlPolicy::https_hosts(["app.ats.example", "*.partner.example"]);
        p.check(&u("https://app.ats.example/integrations/x"))
            .unwrap();
        p.check(&u("https://acme.partner.example/x")).unwrap();
        assert!(p.check(&u("https://partner.example/x")).is_err());
        assert!(p.check(&u("https://evilpartner.example/x")).is_err());
        assert!(
            p.check(&u("https://app.ats.example.evil.example/x"))
                .is_err()
        );
        assert!(p.check(&u("http://app.ats.example/x")).is_err());
    }

    #[test]
    fn only_allowed_ports_on_allowed_hosts() {
        let p = UrlPolicy::https_hosts(["app.ats.example"]);
        p.check(&u("https://app.ats.example/x")).unwrap();
        p.check(&u("https://app.ats.example:443/x")).unwrap();
        for bad in [
            "https://app.ats.example:22/x",
            "https://app.ats.example:6379/x",
        ] {
            let e = p.check(&u(bad)).unwrap_err();
            assert!(e.to_string().contains("port"), "{e}");
        }
        let p = p.allow_port(8443);
        p.check(&u("https://app.ats.example:8443/x")).unwrap();
        assert!(p.check(&u("https://app.ats.example:8444/x")).is_err());
    }

    #[test]
    fn insecure_hosts_for_tests_only() {
        let p = UrlPolicy::deny_all().allow_insecure("127.0.0.1");
        p.check(&u("http://127.0.0.1:8080/x")).unwrap();
        assert!(p.check(&u("http://169.254.169.254/latest")).is_err());
        assert!(p.check(&u("ftp://127.0.0.1/x")).is_err());
    }

    #[test]
    fn any_user_credentials_are_refused() {
        let p = UrlPolicy::https_hosts(["app.ats.example"]);
        for bad in [
            "https://attacker@app.ats.example/x",
            "https://attacker:pw@app.ats.example/x",
            "https://:pw@app.ats.example/x",
        ] {
            let e = p.check(&u(bad)).unwrap_err();
            assert_eq!(
                e.to_string(),
                "refusing to call https://app.ats.example/x: it carries user credentials",
                "{bad}"
            );
        }
        // on an insecure test host too
        let p = UrlPolicy::deny_all().allow_insecure("127.0.0.1");
        let e = p.check(&u("http://attacker@127.0.0.1:8080/x")).unwrap_err();
        assert!(
            e.to_string().ends_with("it carries user credentials"),
            "{e}"
        );
    }

    #[test]
    fn a_wildcard_needs_a_whole_label_before_its_suffix() {
        assert!(host_matches("*.partner.example", "a.partner.example"));
        assert!(!host_matches("*.partner.example", ".partner.example"));
        assert!(!host_matches("*.partner.example", "partner.example"));
        assert!(!host_matches("*.partner.example", "apartner.example"));
        // the URL parser lets an empty first label through
        let url = u("https://.partner.example/x");
        assert_eq!(url.host_str(), Some(".partner.example"));
        let e = UrlPolicy::https_hosts(["*.partner.example"])
            .check(&url)
            .unwrap_err();
        assert!(
            e.to_string().ends_with("its host is not on the allow-list"),
            "{e}"
        );
    }

    #[test]
    fn allow_adds_a_host_pattern() {
        let p = UrlPolicy::deny_all();
        assert!(p.check(&u("https://app.ats.example/x")).is_err());
        let p = p.allow("APP.ats.example").allow("*.partner.example");
        p.check(&u("https://app.ats.example/x")).unwrap();
        p.check(&u("https://acme.partner.example/x")).unwrap();
        assert!(p.check(&u("https://other.ats.example/x")).is_err());
        assert_eq!(
            p,
            UrlPolicy::https_hosts(["app.ats.example", "*.partner.example"])
        );
    }

    #[test]
    fn error_hides_query_and_userinfo() {
        let p = UrlPolicy::deny_all();
        let e = p
            .check(&u("https://user:pw@evil.example/x?token=abc"))
            .unwrap_err();
        let text = e.to_string();
        assert!(!text.contains("abc") && !text.contains("pw"), "{text}");
        assert!(text.contains("https://evil.example/x"), "{text}");
    }
}
