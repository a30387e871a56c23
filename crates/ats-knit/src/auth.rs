//! Inbound authentication: Knit signs every webhook with `X-Knit-Signature`,
//! the HMAC-SHA256 of the raw body keyed with the vendor's Knit API key,
//! base64url without padding. The customer connection is named by the
//! `X-Knit-Integration-Id` header.
//!
//! The signature is checked over the bytes received, never over a
//! re-serialization, in constant time, against every configured key (the
//! current API key and any previous one during a rotation). Knit signs no
//! timestamp, so replayed deliveries cannot be told apart here: de-duplicate
//! on `eventId` (kept in the order's `raw`).

use ats_core::signature::{SignatureEncoding, verify_hmac_sha256};
use ats_core::{Error, InboundRequest, Secret, TenantId};

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-knit-signature";
/// The header naming the customer's integration.
pub const INTEGRATION_HEADER: &str = "x-knit-integration-id";
/// [`INTEGRATION_HEADER`] as Knit's documentation spells it.
pub const INTEGRATION_HEADER_NAME: &str = "X-Knit-Integration-Id";

/// Verifies the signature of a webhook.
pub fn verify(keys: &[Secret], request: &InboundRequest) -> Result<(), Error> {
    verify_hmac_sha256(
        keys,
        &request.body,
        request.header(SIGNATURE_HEADER),
        SignatureEncoding::Base64UrlNoPad,
    )
}

/// The integration id the webhook is for, when the header is present.
pub fn integration_id(request: &InboundRequest) -> Option<TenantId> {
    request
        .header(INTEGRATION_HEADER)
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(TenantId::new)
}

/// The integration id, required: an order or a cancellation cannot be
/// attributed to a customer without it.
pub fn required_integration_id(request: &InboundRequest) -> Result<TenantId, Error> {
    integration_id(request).ok_or_else(|| {
        Error::malformed(
            format!("headers.{INTEGRATION_HEADER}"),
            "a webhook without its integration id",
        )
    })
}

/// Verifies the signature, then returns the tenant (the integration id)
/// when the header names one.
pub fn authenticate(keys: &[Secret], request: &InboundRequest) -> Result<Option<TenantId>, Error> {
    verify(keys, request)?;
    Ok(integration_id(request))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    // The test vector of docs/providers/knit.md §4.2.
    const KEY: &str = "knit_test_api_key_0000000000";
    const BODY: &str = r#"{"eventType":"record.deleted","eventData":{"candidateAssessment":{"id":"ats_ass_Zx81LmQe4TnB0cVw7yKp2H","status":"CANCELLED"}},"eventId":"ev_4qN7sWb1XcLr9TzA0mKe3P"}"#;
    const SIGNATURE: &str = "ud-Hvk-2lEGMq8dUkV6sxjyGTqBSmGOT9W32u0Xch_0";

    fn req(signature: Option<&str>, integration: Option<&str>, body: &str) -> InboundRequest {
        let mut r = InboundRequest::new(Method::POST, "/knit/webhook").with_body(body.to_owned());
        if let Some(s) = signature {
            r = r.with_header(SIGNATURE_HEADER, s).unwrap();
        }
        if let Some(i) = integration {
            r = r.with_header("X-Knit-Integration-Id", i).unwrap();
        }
        r
    }

    #[test]
    fn matches_the_documented_vector() {
        let keys = [Secret::new(KEY)];
        assert_eq!(
            authenticate(&keys, &req(Some(SIGNATURE), Some("int_1"), BODY)).unwrap(),
            Some(TenantId::new("int_1"))
        );
        // padding is tolerated
        verify(&keys, &req(Some(&format!("{SIGNATURE}=")), None, BODY)).unwrap();
    }

    #[test]
    fn refuses_other_encodings_keys_and_bodies() {
        let keys = [Secret::new(KEY)];
        // the same MAC in standard base64
        let standard = "ud+Hvk+2lEGMq8dUkV6sxjyGTqBSmGOT9W32u0Xch/0=";
        let e = verify(&keys, &req(Some(standard), None, BODY)).unwrap_err();
        assert!(matches!(e, Error::BadSignature { .. }), "{e}");
        let e = verify(&[Secret::new("other")], &req(Some(SIGNATURE), None, BODY)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "webhook signature rejected: signature does not match"
        );
        let pretty = BODY.replace(',', ", ");
        assert!(verify(&keys, &req(Some(SIGNATURE), None, &pretty)).is_err());
        let e = verify(&keys, &req(None, None, BODY)).unwrap_err();
        assert_eq!(e.to_string(), "webhook signature rejected: no signature");
        // no key configured: a configuration error, not a signature failure
        assert!(matches!(
            verify(&[], &req(Some(SIGNATURE), None, BODY)),
            Err(Error::Config { .. })
        ));
    }

    #[test]
    fn rotation_accepts_the_previous_key() {
        let keys = [Secret::new("new-key"), Secret::new(KEY)];
        verify(&keys, &req(Some(SIGNATURE), None, BODY)).unwrap();
    }

    #[test]
    fn the_integration_id_is_read_from_its_header() {
        let keys = [Secret::new(KEY)];
        assert_eq!(
            authenticate(&keys, &req(Some(SIGNATURE), Some(" "), BODY)).unwrap(),
            None
        );
        let e = required_integration_id(&req(None, Some(" "), BODY)).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "headers.x-knit-integration-id"),
            "{e}"
        );
    }
}
