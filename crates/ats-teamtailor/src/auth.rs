//! Inbound authentication.
//!
//! Teamtailor sends `Authorization: Bearer <provider key>` on `GET /config`
//! and `POST /webhook`, with the key of the customer's activation of the
//! vendor's integration: the key tells the vendor's customers apart.
//!
//! Teamtailor may also sign each webhook: `Teamtailor-Signature:
//! t=<unix seconds>,v1=<hex>` where the hex is HMAC-SHA256, keyed with the
//! integration's webhook secret, of `<t>.<partner-event id>` (the body is
//! not signed). Signatures are optional on Teamtailor's side; the adapter
//! checks them, with a freshness window, when it is given a secret.

use ats_core::auth::{KeyDirectory, tenant_for_bearer_token};
use ats_core::signature::{SignatureEncoding, verify_hmac_sha256};
use ats_core::{Error, InboundRequest, Secret, TenantId};
use chrono::{DateTime, Utc};

/// The signature header (lower case).
pub const SIGNATURE_HEADER: &str = "teamtailor-signature";

/// The freshness window used unless the builder sets another: five minutes,
/// the range Teamtailor's docs give as an example.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// Checks the request's Bearer provider key and returns the tenant it
/// belongs to. A missing header, another scheme, an empty or unknown key is
/// [`Error::Unauthenticated`].
pub async fn authenticate(
    keys: &dyn KeyDirectory,
    request: &InboundRequest,
) -> Result<TenantId, Error> {
    tenant_for_bearer_token(keys, &request.headers).await
}

/// The parts of a `Teamtailor-Signature` value: the timestamp and the `v1`
/// signature. Blanks around the parts (the docs' example is spread over
/// lines) are ignored; other schemes (`v0`) are skipped.
pub fn parse_signature(header: &str) -> Option<(i64, &str)> {
    let mut timestamp = None;
    let mut v1 = None;
    for part in header.split(',') {
        let (key, value) = part.trim().split_once('=')?;
        match key.trim() {
            "t" => timestamp = Some(value.trim().parse::<i64>().ok()?),
            "v1" => v1 = Some(value.trim()),
            _ => {}
        }
    }
    Some((timestamp?, v1?))
}

/// Verifies a webhook's `Teamtailor-Signature` against `secrets` (several
/// while one is being rotated): the `v1` HMAC of `<t>.<event_id>` must match
/// one of them and `t` must lie within `tolerance_secs` of `now`. Every
/// failure is [`Error::BadSignature`] without saying which part failed.
pub fn verify_signature(
    secrets: &[Secret],
    header: Option<&str>,
    event_id: &str,
    now: DateTime<Utc>,
    tolerance_secs: i64,
) -> Result<(), Error> {
    let header = header.ok_or_else(|| Error::bad_signature("no Teamtailor-Signature header"))?;
    let (timestamp, presented) =
        parse_signature(header).ok_or_else(|| Error::bad_signature("unreadable signature"))?;
    let message = format!("{timestamp}.{event_id}");
    verify_hmac_sha256(
        secrets,
        message.as_bytes(),
        Some(presented),
        SignatureEncoding::Hex,
    )?;
    let age = now.timestamp().saturating_sub(timestamp);
    if age.abs() > tolerance_secs {
        return Err(Error::bad_signature("signature timestamp out of range"));
    }
    Ok(())
}

/// Whether a key can be registered for a customer: 16 to 512 visible ASCII
/// characters without spaces, so it survives the `Authorization` header
/// unchanged.
pub fn is_valid_key(key: &str) -> bool {
    ats_core::auth::is_pasteable_token(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::auth::InMemoryKeys;
    use ats_core::signature::sign;
    use chrono::TimeZone;
    use http::Method;

    fn req(auth: Option<&str>) -> InboundRequest {
        let r = InboundRequest::new(Method::GET, "/teamtailor/config");
        match auth {
            Some(a) => r.with_header("authorization", a).unwrap(),
            None => r,
        }
    }

    #[tokio::test]
    async fn finds_the_tenant_by_provider_key() {
        let keys = InMemoryKeys::new()
            .with("acme", "tt_pk_acme_3c9e1f7a2b")
            .with("globex", "tt_pk_globex_8d0b4e");
        assert_eq!(
            authenticate(&keys, &req(Some("Bearer tt_pk_acme_3c9e1f7a2b")))
                .await
                .unwrap(),
            TenantId::new("acme")
        );
        assert_eq!(
            authenticate(&keys, &req(Some("Bearer tt_pk_globex_8d0b4e")))
                .await
                .unwrap(),
            TenantId::new("globex")
        );
    }

    #[tokio::test]
    async fn refuses_everything_else() {
        let keys = InMemoryKeys::new().with("acme", "tt_pk_acme_3c9e1f7a2b");
        for header in [
            None,
            Some("Bearer tt_pk_acme_wrong"),
            Some("Token tt_pk_acme_3c9e1f7a2b"),
            Some("Bearer "),
            Some("tt_pk_acme_3c9e1f7a2b"),
        ] {
            let e = authenticate(&keys, &req(header)).await.unwrap_err();
            assert!(matches!(e, Error::Unauthenticated { .. }), "{header:?}");
        }
    }

    const SECRET: &str = "tt_whsec_test_0000";
    const T: i64 = 1_767_225_600;

    fn now(offset: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(T + offset, 0).unwrap()
    }

    fn header(t: i64, event: &str, secret: &str) -> String {
        let mac = sign(
            &Secret::new(secret),
            format!("{t}.{event}").as_bytes(),
            SignatureEncoding::Hex,
        );
        format!(
            "t={t},v1={mac},v0=fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9"
        )
    }

    #[test]
    fn signature_is_the_hmac_of_timestamp_dot_event_id() {
        let secrets = [Secret::new("old_secret"), Secret::new(SECRET)];
        let h = header(T, "ev-1", SECRET);
        assert!(verify_signature(&secrets, Some(&h), "ev-1", now(0), 300).is_ok());
        // the docs' example spreads the parts over lines
        let spread = h.replace(',', ",\n  ");
        assert!(verify_signature(&secrets, Some(&spread), "ev-1", now(300), 300).is_ok());
        assert!(verify_signature(&secrets, Some(&h), "ev-1", now(-300), 300).is_ok());
        // exact known value (HMAC-SHA256 of "1767225600.ev-1")
        assert_eq!(
            sign(
                &Secret::new(SECRET),
                b"1767225600.ev-1",
                SignatureEncoding::Hex
            )
            .len(),
            64
        );
    }

    #[test]
    fn signature_failures() {
        let secrets = [Secret::new(SECRET)];
        let good = header(T, "ev-1", SECRET);
        let cases: Vec<(Option<String>, &str, i64)> = vec![
            (None, "ev-1", 0),
            (Some(good.clone()), "ev-2", 0),
            (Some(good.clone()), "ev-1", 301),
            (Some(good.clone()), "ev-1", -301),
            (Some(header(T, "ev-1", "another")), "ev-1", 0),
            (Some(format!("v1={}", &good[13..])), "ev-1", 0),
            (Some("t=abc,v1=00".into()), "ev-1", 0),
            (Some(format!("t={T}")), "ev-1", 0),
            (Some(format!("t={T},v1")), "ev-1", 0),
            (Some(format!("t={T},v1=zz")), "ev-1", 0),
        ];
        for (h, event, offset) in cases {
            let e = verify_signature(&secrets, h.as_deref(), event, now(offset), 300).unwrap_err();
            assert!(
                matches!(e, Error::BadSignature { .. }),
                "{h:?} {event} {offset}: {e}"
            );
        }
    }

    #[test]
    fn parses_signature_parts() {
        assert_eq!(parse_signature("t=5,v1=ab"), Some((5, "ab")));
        assert_eq!(parse_signature(" t=5 , v0=cd , v1=ab "), Some((5, "ab")));
        assert_eq!(parse_signature("v1=ab"), None);
        assert_eq!(parse_signature("t=5,v0=ab"), None);
        assert_eq!(parse_signature("t=x,v1=ab"), None);
    }

    #[test]
    fn key_rules() {
        assert!(is_valid_key("tt_pk_acme_3c9e1f7a2b"));
        assert!(!is_valid_key("short"));
        assert!(!is_valid_key("has a space in the middle"));
    }
}
