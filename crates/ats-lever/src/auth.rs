//! Inbound authentication of Lever webhook deliveries.
//!
//! Lever signs a delivery by putting, in the body's `signature` field, the
//! lower-case hex HMAC-SHA256 of `token + triggeredAt` (the two body fields
//! concatenated as text), keyed with the webhook's signature token. The rest
//! of the body is not signed, so:
//!
//! * every delivery must be signed (an unsigned one is refused);
//! * it must be fresh: `triggeredAt` no older than the configured age and
//!   not ahead of the arrival time by more than the configured skew;
//! * its `token` must not have been seen before (checked by
//!   [`crate::Lever`]'s `receive`, once the delivery has been processed, and
//!   forgotten again by its `forget_delivery` when the vendor could not
//!   handle the delivery, so Lever's redelivery gets through);
//! * what it asks for is confirmed against Lever's API before an order or a
//!   cancellation goes to the vendor.
//!
//! Deliveries carry no account id: the tenant is the one named in the
//! webhook's path, and only that tenant's signature tokens are tried.

use std::time::Duration;

use ats_core::signature::{SignatureEncoding, verify_hmac_sha256};
use ats_core::{Error, InboundRequest, TenantId};

use crate::builder::LeverConnection;
use crate::translate::{self, Delivery};

/// Checks a delivery's signature against the connection's signature tokens
/// (any of them, in constant time) and its freshness against the request's
/// arrival time.
pub fn verify_delivery(
    tenant: &TenantId,
    connection: &LeverConnection,
    delivery: &Delivery,
    request: &InboundRequest,
    max_age: Duration,
    max_future_skew: Duration,
) -> Result<(), Error> {
    let envelope = &delivery.envelope;
    if envelope
        .signature
        .as_deref()
        .is_none_or(|s| s.trim().is_empty())
    {
        return Err(Error::bad_signature("the delivery is not signed"));
    }
    let message = translate::signed_message(envelope)
        .ok_or_else(|| Error::bad_signature("the delivery has no `token`"))?;
    if connection.signature_tokens.is_empty() {
        return Err(Error::config(format!(
            "no webhook signature token configured for Lever connection `{tenant}`"
        )));
    }
    verify_hmac_sha256(
        &connection.signature_tokens,
        message.as_bytes(),
        envelope.signature.as_deref(),
        SignatureEncoding::Hex,
    )?;
    check_freshness(delivery, request, max_age, max_future_skew)
}

/// Refuses a delivery dated too long before its arrival, or too far after.
pub fn check_freshness(
    delivery: &Delivery,
    request: &InboundRequest,
    max_age: Duration,
    max_future_skew: Duration,
) -> Result<(), Error> {
    let age = request.received_at.signed_duration_since(delivery.sent_at);
    let max_age_c = chrono::Duration::from_std(max_age).unwrap_or(chrono::Duration::MAX);
    let skew_c = chrono::Duration::from_std(max_future_skew).unwrap_or(chrono::Duration::MAX);
    if age > max_age_c {
        return Err(Error::bad_signature(format!(
            "the delivery is stale (triggered {}, {}s before it arrived; at most {}s allowed)",
            delivery.sent_at.to_rfc3339(),
            age.num_seconds(),
            max_age.as_secs()
        )));
    }
    if -age > skew_c {
        return Err(Error::bad_signature(format!(
            "the delivery is dated in the future (triggered {}, {}s after it arrived)",
            delivery.sent_at.to_rfc3339(),
            (-age).num_seconds()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::Secret;
    use ats_core::signature::sign;
    use http::Method;
    use serde_json::json;

    // The synthetic vector of docs/providers/lever.md §4.3.
    const SIGNING: &str = "eb975729fae923d5a4fd12aabfe228f219e9cb0eb53f1694";
    const TOKEN: &str = "7ccf25ec84d8dbc74254770f58904dba41ecccc3fc1626e5";
    const SIGNATURE: &str = "fbcee82498f877b3bdce0171011daeaaf8ece355be5db8431d020f05dc2e2c29";

    fn delivery(signature: Option<&str>, triggered_at: serde_json::Value) -> Delivery {
        let mut body = json!({"triggeredAt": triggered_at, "event": "candidateHired",
                              "data": {}, "token": TOKEN});
        if let Some(s) = signature {
            body["signature"] = json!(s);
        }
        translate::decode_delivery(body.to_string().as_bytes()).unwrap()
    }

    fn request(at: &str) -> InboundRequest {
        InboundRequest::new(Method::POST, "/lever/acme/webhook").received_at(at.parse().unwrap())
    }

    fn connection(tokens: &[&str]) -> LeverConnection {
        tokens
            .iter()
            .fold(LeverConnection::new(), |c, t| c.signature_token(*t))
    }

    const FIVE_MIN: Duration = Duration::from_secs(300);
    const DAY: Duration = Duration::from_secs(86_400);

    fn check(d: &Delivery, c: &LeverConnection, at: &str) -> Result<(), Error> {
        verify_delivery(&TenantId::new("acme"), c, d, &request(at), DAY, FIVE_MIN)
    }

    #[test]
    fn documented_vector_verifies() {
        assert_eq!(
            sign(
                &Secret::new(SIGNING),
                format!("{TOKEN}1767261600123").as_bytes(),
                SignatureEncoding::Hex
            ),
            SIGNATURE
        );
        let d = delivery(Some(SIGNATURE), json!(1767261600123u64));
        check(&d, &connection(&[SIGNING]), "2026-01-01T10:00:02Z").unwrap();
        // the same timestamp written as a string signs the same text
        let d = delivery(Some(SIGNATURE), json!("1767261600123"));
        check(&d, &connection(&[SIGNING]), "2026-01-01T10:00:02Z").unwrap();
        // upper-case hex is the same signature
        let d = delivery(Some(&SIGNATURE.to_uppercase()), json!(1767261600123u64));
        check(&d, &connection(&[SIGNING]), "2026-01-01T10:00:02Z").unwrap();
    }

    #[test]
    fn any_of_several_tokens_verifies() {
        let d = delivery(Some(SIGNATURE), json!(1767261600123u64));
        check(
            &d,
            &connection(&["old-token", SIGNING]),
            "2026-01-01T10:00:02Z",
        )
        .unwrap();
        let e = check(&d, &connection(&["old-token"]), "2026-01-01T10:00:02Z").unwrap_err();
        assert_eq!(
            e.to_string(),
            "webhook signature rejected: signature does not match"
        );
        let e = check(&d, &connection(&[]), "2026-01-01T10:00:02Z").unwrap_err();
        assert!(matches!(e, Error::Config { .. }));
    }

    #[test]
    fn unsigned_altered_and_tokenless_are_refused() {
        let c = connection(&[SIGNING]);
        let e = check(
            &delivery(None, json!(1767261600123u64)),
            &c,
            "2026-01-01T10:00:02Z",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "webhook signature rejected: the delivery is not signed"
        );
        // another timestamp: the signature no longer matches
        let d = delivery(Some(SIGNATURE), json!(1767261600124u64));
        assert!(matches!(
            check(&d, &c, "2026-01-01T10:00:02Z"),
            Err(Error::BadSignature { .. })
        ));
        let d = delivery(Some("not hex"), json!(1767261600123u64));
        assert!(matches!(
            check(&d, &c, "2026-01-01T10:00:02Z"),
            Err(Error::BadSignature { .. })
        ));
        let mut d = delivery(Some(SIGNATURE), json!(1767261600123u64));
        d.envelope.token = None;
        assert_eq!(
            check(&d, &c, "2026-01-01T10:00:02Z")
                .unwrap_err()
                .to_string(),
            "webhook signature rejected: the delivery has no `token`"
        );
    }

    #[test]
    fn the_freshness_limits_are_inclusive_to_the_millisecond() {
        // triggered 2026-01-01T10:00:00.123Z
        let d = delivery(Some(SIGNATURE), json!(1767261600123u64));
        let fresh = |at: &str| check_freshness(&d, &request(at), DAY, FIVE_MIN);
        // exactly a day old: accepted; a millisecond more: stale
        assert!(fresh("2026-01-02T10:00:00.123Z").is_ok());
        assert!(matches!(
            fresh("2026-01-02T10:00:00.124Z"),
            Err(Error::BadSignature { .. })
        ));
        // exactly five minutes in the future: accepted; a millisecond more: refused
        assert!(fresh("2026-01-01T09:55:00.123Z").is_ok());
        assert!(matches!(
            fresh("2026-01-01T09:55:00.122Z"),
            Err(Error::BadSignature { .. })
        ));
    }

    #[test]
    fn stale_and_future_deliveries_are_refused() {
        let c = connection(&[SIGNING]);
        let d = delivery(Some(SIGNATURE), json!(1767261600123u64));
        check(&d, &c, "2026-01-02T10:00:00Z").unwrap();
        let e = check(&d, &c, "2026-01-02T10:00:01Z").unwrap_err();
        assert!(e.to_string().contains("stale"), "{e}");
        check(&d, &c, "2026-01-01T09:55:01Z").unwrap();
        let e = check(&d, &c, "2026-01-01T09:54:00Z").unwrap_err();
        assert!(e.to_string().contains("future"), "{e}");
    }
}
