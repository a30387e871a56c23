//! Property tests (fuzzing on stable) of the checks that stand between a
//! payload and the vendor's credentials: webhook signatures and the URL
//! policy for callback URLs. `PROPTEST_CASES` makes a longer run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ats_core::signature::{SignatureEncoding, hmac_sha256, sign, verify_hmac_sha256};
use ats_core::{Error, Secret, UrlPolicy};
use proptest::prelude::*;
use url::Url;

fn encoding() -> impl Strategy<Value = SignatureEncoding> {
    prop::sample::select(vec![
        SignatureEncoding::Hex,
        SignatureEncoding::Base64,
        SignatureEncoding::Base64UrlNoPad,
    ])
}

fn config() -> ProptestConfig {
    // a few hundred cases by default; PROPTEST_CASES overrides
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// A signature made with one of the configured secrets verifies, in
    /// every encoding, whatever the other secrets.
    #[test]
    fn signatures_verify(
        secret in "[ -~]{1,40}",
        others in prop::collection::vec("[ -~]{0,40}", 0..3),
        message in prop::collection::vec(any::<u8>(), 0..200),
        enc in encoding(),
    ) {
        let sig = sign(&Secret::new(secret.clone()), &message, enc);
        let mut secrets: Vec<Secret> = others.into_iter().map(Secret::new).collect();
        secrets.push(Secret::new(secret));
        prop_assert!(verify_hmac_sha256(&secrets, &message, Some(&sig), enc).is_ok());
    }

    /// A changed byte of the message is always caught.
    #[test]
    fn altered_messages_are_refused(
        secret in "[ -~]{1,40}",
        message in prop::collection::vec(any::<u8>(), 1..200),
        at in any::<prop::sample::Index>(),
        mask in 1u8..=255,
        enc in encoding(),
    ) {
        let sig = sign(&Secret::new(secret.clone()), &message, enc);
        let mut altered = message.clone();
        altered[at.index(message.len())] ^= mask;
        let e = verify_hmac_sha256(&[Secret::new(secret)], &altered, Some(&sig), enc).unwrap_err();
        prop_assert!(matches!(e, Error::BadSignature { .. }), "{e}");
    }

    /// A changed byte of the presented signature is refused, unless it
    /// decodes to the same bytes (hex is case-insensitive).
    #[test]
    fn altered_signatures_are_refused(
        secret in "[ -~]{1,40}",
        message in prop::collection::vec(any::<u8>(), 0..200),
        at in any::<prop::sample::Index>(),
        mask in 1u8..=127,
        enc in encoding(),
    ) {
        let sig = sign(&Secret::new(secret.clone()), &message, enc);
        let mut bytes = sig.clone().into_bytes();
        bytes[at.index(sig.len())] ^= mask;
        let altered = String::from_utf8(bytes).unwrap();
        let genuine = hmac_sha256(secret.as_bytes(), &message);
        let same = enc.decode(&altered).as_deref() == Some(&genuine[..]);
        match verify_hmac_sha256(&[Secret::new(secret)], &message, Some(&altered), enc) {
            Ok(()) => prop_assert!(same, "{altered:?} accepted for {sig:?}"),
            Err(e) => {
                prop_assert!(!same, "{altered:?} refused: {e}");
                prop_assert!(matches!(e, Error::BadSignature { .. }), "{e}");
            }
        }
    }

    /// Whatever text is presented, verification answers without panicking,
    /// and accepts it only when it decodes to the HMAC.
    #[test]
    fn arbitrary_signatures(
        presented in any::<String>(),
        message in prop::collection::vec(any::<u8>(), 0..50),
        enc in encoding(),
    ) {
        let secret = "s3cret";
        let genuine = hmac_sha256(secret.as_bytes(), &message);
        let verdict = verify_hmac_sha256(&[Secret::new(secret)], &message, Some(&presented), enc);
        prop_assert_eq!(verdict.is_ok(), enc.decode(&presented).as_deref() == Some(&genuine[..]));
    }
}

/// The parts of a URL a callback might have.
#[derive(Clone, Debug)]
struct Parts {
    scheme: &'static str,
    user: &'static str,
    host: String,
    port: Option<u16>,
    path: String,
}

fn host() -> impl Strategy<Value = String> {
    let label = "[a-z0-9-]{1,8}";
    prop_oneof![
        Just("app.ats.example".to_owned()),
        Just("APP.ats.example".to_owned()),
        Just("ats.example".to_owned()),
        Just("partner.example".to_owned()),
        Just(".partner.example".to_owned()),
        Just("127.0.0.1".to_owned()),
        Just("169.254.169.254".to_owned()),
        Just("[::1]".to_owned()),
        label.prop_map(|l| format!("{l}.partner.example")),
        label.prop_map(|l| format!("{l}.app.ats.example")),
        label.prop_map(|l| format!("{l}partner.example")),
        label.prop_map(|l| format!("app.ats.example.{l}")),
        label.prop_map(|l| format!("{l}.example")),
    ]
}

fn parts() -> impl Strategy<Value = Parts> {
    (
        prop::sample::select(vec!["https", "http", "ftp", "wss"]),
        prop::sample::select(vec!["", "attacker@", "attacker:pw@", ":pw@"]),
        host(),
        prop::option::of(prop::sample::select(vec![443u16, 80, 22, 6379, 8443])),
        "(/[a-z0-9%._-]{0,6}){0,3}",
    )
        .prop_map(|(scheme, user, host, port, path)| Parts {
            scheme,
            user,
            host,
            port,
            path,
        })
}

/// What the policy below must decide, written from the rules in
/// `UrlPolicy`'s documentation rather than from its code.
fn expected(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    if !url.username().is_empty() || url.password().is_some() {
        return false;
    }
    if host == "127.0.0.1" {
        return matches!(url.scheme(), "http" | "https");
    }
    let subdomain = host
        .strip_suffix(".partner.example")
        .is_some_and(|label| !label.is_empty());
    url.scheme() == "https"
        && (host == "app.ats.example" || subdomain)
        && matches!(url.port_or_known_default(), Some(443 | 8443))
}

proptest! {
    #![proptest_config(config())]

    /// The URL policy allows exactly the `https` URLs on its hosts and
    /// ports, without user credentials (plain `http` on the insecure test
    /// host), and never panics.
    #[test]
    fn url_policy_decides_by_its_rules(p in parts()) {
        let port = p.port.map(|n| format!(":{n}")).unwrap_or_default();
        let text = format!("{}://{}{}{port}{}", p.scheme, p.user, p.host, p.path);
        let Ok(url) = Url::parse(&text) else { return Ok(()) };
        let policy = UrlPolicy::https_hosts(["app.ats.example"])
            .allow("*.partner.example")
            .allow_port(8443)
            .allow_insecure("127.0.0.1");
        let verdict = policy.check(&url);
        prop_assert_eq!(verdict.is_ok(), expected(&url), "{} → {:?}", url, verdict);
        if let Err(e) = verdict {
            prop_assert!(matches!(e, Error::UntrustedUrl { .. }), "{e}");
            let shown = e.to_string();
            prop_assert!(!shown.contains("attacker") && !shown.contains(":pw"), "{shown}");
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// An in-memory key directory counts one entry per tenant (a key given
    /// again replaces the tenant's), and its `Debug` output names the
    /// tenants and shows no key.
    #[test]
    fn key_directories_count_tenants_and_hide_keys(
        entries in prop::collection::vec(("t[a-c]", "key-[a-z]{8}"), 0..6),
    ) {
        let mut keys = ats_core::auth::InMemoryKeys::new();
        for (tenant, key) in &entries {
            keys = keys.with(tenant.clone(), key.clone());
        }
        let tenants: std::collections::BTreeSet<&String> = entries.iter().map(|(t, _)| t).collect();
        prop_assert_eq!(keys.len(), tenants.len());
        prop_assert_eq!(keys.is_empty(), entries.is_empty());
        let shown = format!("{keys:?}");
        prop_assert!(shown.starts_with("InMemoryKeys { tenants: ["), "{shown}");
        for t in &tenants {
            prop_assert!(shown.contains(&format!("\"{t}\"")), "{shown}");
        }
        for (_, key) in &entries {
            prop_assert!(!shown.contains(key.as_str()), "{shown}");
        }
    }
}
