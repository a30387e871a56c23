//! Inbound authentication: Kombo signs every webhook with the account's
//! webhook secret.
//!
//! `X-Kombo-Signature` carries the HMAC-SHA256 of the raw request body,
//! keyed with the secret's bytes as given, in URL-safe base64 without `=`
//! padding (a padded value is accepted too). The check runs on the bytes as
//! received, before any parsing, in constant time, against every configured
//! secret (several while one is being rotated). Kombo sends no timestamp or
//! nonce, so there is no replay window to check: deliveries are
//! at-least-once and the vendor deduplicates on the order id.

use ats_core::signature::{SignatureEncoding, sign, verify_hmac_sha256};
use ats_core::{Error, InboundRequest, Secret};

/// The signature header (lower case, as `http` stores names).
pub const SIGNATURE_HEADER: &str = "x-kombo-signature";

/// How Kombo encodes the signature.
pub const ENCODING: SignatureEncoding = SignatureEncoding::Base64UrlNoPad;

/// Verifies the request's `X-Kombo-Signature` against `secrets`.
///
/// [`Error::BadSignature`] when the header is missing, not base64url, or
/// matches none of the secrets; [`Error::Config`] when no secret is
/// configured.
pub fn verify(secrets: &[Secret], request: &InboundRequest) -> Result<(), Error> {
    let presented = match request.headers.get(SIGNATURE_HEADER) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| Error::bad_signature("signature header is not ASCII"))?,
        ),
    };
    verify_hmac_sha256(secrets, &request.body, presented, ENCODING)
}

/// The `X-Kombo-Signature` value Kombo sends for `body` (tests, and a
/// vendor's own webhook simulator).
pub fn signature(secret: &Secret, body: &[u8]) -> String {
    sign(secret, body, ENCODING)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    const SECRET: &str = "whsec_example_not_a_real_secret";
    const BODY: &str = r#"{"id":"7Qm2xWc9RtYp4LsVbN3kHd8A","type":"assessment:order-received","data":{"id":"Hx4pLq9TzW2mRv7cYb3nKs6D"}}"#;
    // Computed independently (Python `hmac` + `base64.urlsafe_b64encode`,
    // padding stripped); see docs/providers/kombo.md, section 3.1.
    const SIGNATURE: &str = "tFJoApz9OGvY7La8kpCMPKv6qxjkG8u87oMnybN2yyI";

    fn req(sig: Option<&str>, body: &str) -> InboundRequest {
        let r = InboundRequest::new(Method::POST, "/webhooks/kombo").with_body(body.to_owned());
        match sig {
            Some(s) => r.with_header("X-Kombo-Signature", s).unwrap(),
            None => r,
        }
    }

    #[test]
    fn matches_the_documented_test_vector() {
        assert_eq!(signature(&Secret::new(SECRET), BODY.as_bytes()), SIGNATURE);
        verify(&[Secret::new(SECRET)], &req(Some(SIGNATURE), BODY)).unwrap();
        // padded form accepted
        verify(
            &[Secret::new(SECRET)],
            &req(Some(&format!("{SIGNATURE}=")), BODY),
        )
        .unwrap();
    }

    #[test]
    fn accepts_any_configured_secret() {
        let secrets = [Secret::new("whsec_old"), Secret::new(SECRET)];
        verify(&secrets, &req(Some(SIGNATURE), BODY)).unwrap();
    }

    #[test]
    fn refuses_missing_wrong_and_tampered() {
        let secrets = [Secret::new(SECRET)];
        let e = verify(&secrets, &req(None, BODY)).unwrap_err();
        assert_eq!(e.to_string(), "webhook signature rejected: no signature");
        let e = verify(&[Secret::new("whsec_other")], &req(Some(SIGNATURE), BODY)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "webhook signature rejected: signature does not match"
        );
        // a re-serialised body (extra space) no longer matches
        let e = verify(
            &secrets,
            &req(Some(SIGNATURE), &BODY.replacen(':', ": ", 1)),
        )
        .unwrap_err();
        assert!(matches!(e, Error::BadSignature { .. }));
        let e = verify(&secrets, &req(Some("%%%"), BODY)).unwrap_err();
        assert!(matches!(e, Error::BadSignature { .. }));
    }

    #[test]
    fn no_secret_is_a_configuration_error() {
        let e = verify(&[], &req(Some(SIGNATURE), BODY)).unwrap_err();
        assert!(matches!(e, Error::Config { .. }), "{e}");
    }
}
