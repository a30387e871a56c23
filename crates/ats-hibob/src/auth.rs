//! Inbound authentication: Bob signs every webhook.
//!
//! `Bob-Signature` carries the HMAC-SHA512 of the raw request body, keyed
//! with the signing secret (`docs/providers/hibob.md` §3.1). Bob's example
//! encodes the 64 MAC bytes in standard base64; the check also takes
//! lower-case hex, because the partner-webhook pages were not read in full
//! (*unconfirmed*). The check runs on the bytes as received, before any
//! parsing, in constant time, against every configured secret (several
//! while one is being rotated).
//!
//! Bob sends no timestamp or nonce with the signature: there is no replay
//! window to check here. Deliveries are at-least-once, so the provider
//! deduplicates on `assessmentRequestId` (see [`crate::HiBob`]).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha512;
use subtle::ConstantTimeEq;

use ats_core::{Error, InboundRequest, Secret};

/// The signature header (lower case, as `http` stores names).
pub const SIGNATURE_HEADER: &str = "bob-signature";

/// HMAC-SHA512 of `message` keyed with `key`.
pub fn hmac_sha512(key: &[u8], message: &[u8]) -> [u8; 64] {
    let mut mac = match <Hmac<Sha512> as Mac>::new_from_slice(key) {
        Ok(mac) => mac,
        // HMAC takes keys of every length; `new_from_slice` cannot fail.
        Err(_) => return [0; 64],
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// The `Bob-Signature` value Bob sends for `body` (tests, and a vendor's
/// own webhook simulator): standard base64 with padding.
pub fn signature(secret: &Secret, body: &[u8]) -> String {
    STANDARD.encode(hmac_sha512(secret.expose().as_bytes(), body))
}

/// The presented signature's bytes: base64 (with or without padding), or
/// hex; `None` when it is neither or not 64 bytes long.
fn decode(presented: &str) -> Option<Vec<u8>> {
    let text = presented.trim();
    let bytes = if text.len() == 128 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(text).ok()?
    } else {
        STANDARD
            .decode(text)
            .or_else(|_| STANDARD_NO_PAD.decode(text))
            .ok()?
    };
    (bytes.len() == 64).then_some(bytes)
}

/// Verifies the request's `Bob-Signature` against `secrets`.
///
/// [`Error::BadSignature`] when the header is missing, not ASCII, not a
/// 64-byte MAC in base64 or hex, or matches none of the secrets (the
/// reasons do not say which secret was tried); [`Error::Config`] when no
/// secret is configured.
pub fn verify(secrets: &[Secret], request: &InboundRequest) -> Result<(), Error> {
    let presented = match request.headers.get(SIGNATURE_HEADER) {
        None => return Err(Error::bad_signature("no signature")),
        Some(v) => v
            .to_str()
            .map_err(|_| Error::bad_signature("signature header is not ASCII"))?,
    };
    if presented.trim().is_empty() {
        return Err(Error::bad_signature("no signature"));
    }
    let presented = decode(presented)
        .ok_or_else(|| Error::bad_signature("signature is not validly encoded"))?;
    if secrets.is_empty() {
        return Err(Error::config("no Bob webhook signing secret configured"));
    }
    let mut ok = subtle::Choice::from(0u8);
    for secret in secrets {
        let expected = hmac_sha512(secret.expose().as_bytes(), &request.body);
        ok |= expected.as_slice().ct_eq(presented.as_slice());
    }
    if bool::from(ok) {
        Ok(())
    } else {
        Err(Error::bad_signature("signature does not match"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    const SECRET: &str = "bob_test_signing_secret";
    const BODY: &str = r#"{"type":"assessment.triggered","companyId":"900123","data":{"assessmentRequestId":"41872"}}"#;

    // RFC 4231, test case 2, HMAC-SHA-512.
    const RFC_HEX: &str = "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737";

    fn req(sig: Option<&str>, body: &str) -> InboundRequest {
        let r = InboundRequest::new(Method::POST, "/hibob/webhook").with_body(body.to_owned());
        match sig {
            Some(s) => r.with_header("Bob-Signature", s).unwrap(),
            None => r,
        }
    }

    #[test]
    fn hmac_sha512_matches_rfc_4231() {
        let mac = hmac_sha512(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex::encode(mac), RFC_HEX);
    }

    #[test]
    fn signature_is_base64_of_the_hmac_of_the_body() {
        let sig = signature(&Secret::new(SECRET), BODY.as_bytes());
        assert_eq!(sig.len(), 88);
        assert!(sig.ends_with("=="));
        assert_eq!(
            STANDARD.decode(&sig).unwrap(),
            hmac_sha512(SECRET.as_bytes(), BODY.as_bytes())
        );
        verify(&[Secret::new(SECRET)], &req(Some(&sig), BODY)).unwrap();
        // without padding, and as hex
        verify(
            &[Secret::new(SECRET)],
            &req(Some(sig.trim_end_matches('=')), BODY),
        )
        .unwrap();
        let hexed = hex::encode(hmac_sha512(SECRET.as_bytes(), BODY.as_bytes()));
        verify(&[Secret::new(SECRET)], &req(Some(&hexed), BODY)).unwrap();
    }

    #[test]
    fn accepts_any_configured_secret() {
        let sig = signature(&Secret::new(SECRET), BODY.as_bytes());
        let secrets = [Secret::new("bob_old_secret"), Secret::new(SECRET)];
        verify(&secrets, &req(Some(&sig), BODY)).unwrap();
    }

    #[test]
    fn refuses_missing_wrong_short_and_tampered() {
        let secrets = [Secret::new(SECRET)];
        let sig = signature(&Secret::new(SECRET), BODY.as_bytes());
        let e = verify(&secrets, &req(None, BODY)).unwrap_err();
        assert_eq!(e.to_string(), "webhook signature rejected: no signature");
        let e = verify(&secrets, &req(Some("  "), BODY)).unwrap_err();
        assert_eq!(e.to_string(), "webhook signature rejected: no signature");
        let e = verify(&[Secret::new("other")], &req(Some(&sig), BODY)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "webhook signature rejected: signature does not match"
        );
        let e = verify(&secrets, &req(Some(&sig), &BODY.replacen(':', ": ", 1))).unwrap_err();
        assert!(matches!(e, Error::BadSignature { .. }), "{e}");
        // a SHA-256-sized MAC is refused before comparing
        let short = STANDARD.encode([7u8; 32]);
        let e = verify(&secrets, &req(Some(&short), BODY)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "webhook signature rejected: signature is not validly encoded"
        );
        let e = verify(&secrets, &req(Some("%%%"), BODY)).unwrap_err();
        assert!(matches!(e, Error::BadSignature { .. }));
    }

    #[test]
    fn only_128_hex_digits_are_read_as_hex() {
        // 86 characters that are hex digits and also unpadded base64 of
        // 64 zero bytes: read as base64, not as (43 bytes of) hex
        assert_eq!(decode(&"A".repeat(86)), Some(vec![0; 64]));
        assert_eq!(decode(&"ab".repeat(64)), Some(vec![0xab; 64]));
        assert_eq!(decode(&"ab".repeat(63)), None);
    }

    #[test]
    fn no_secret_is_a_configuration_error() {
        let sig = signature(&Secret::new(SECRET), BODY.as_bytes());
        let e = verify(&[], &req(Some(&sig), BODY)).unwrap_err();
        assert!(matches!(e, Error::Config { .. }), "{e}");
    }
}
