//! Webhook signatures: HMAC-SHA256 in the encodings providers use, verified
//! in constant time, with several secrets accepted during rotation.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::Error;
use crate::secret::Secret;

/// How a provider writes the 32 signature bytes into its header or field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureEncoding {
    /// Lower-case hexadecimal (upper case is accepted on input).
    Hex,
    /// Standard base64 with padding.
    Base64,
    /// URL-safe base64 without `=` padding (padding accepted on input).
    Base64UrlNoPad,
}

impl SignatureEncoding {
    /// Encodes signature bytes.
    pub fn encode(self, bytes: &[u8]) -> String {
        match self {
            Self::Hex => hex::encode(bytes),
            Self::Base64 => STANDARD.encode(bytes),
            Self::Base64UrlNoPad => URL_SAFE_NO_PAD.encode(bytes),
        }
    }

    /// Decodes a presented signature; `None` when it is not valid text in
    /// this encoding.
    pub fn decode(self, text: &str) -> Option<Vec<u8>> {
        let text = text.trim();
        match self {
            Self::Hex => hex::decode(text).ok(),
            Self::Base64 => STANDARD
                .decode(text)
                .or_else(|_| STANDARD_NO_PAD.decode(text))
                .ok(),
            Self::Base64UrlNoPad => URL_SAFE_NO_PAD
                .decode(text)
                .or_else(|_| URL_SAFE.decode(text))
                .ok(),
        }
    }
}

/// HMAC-SHA256 of `message` keyed with `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable_hmac(),
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cold]
fn unreachable_hmac() -> ! {
    // `Hmac::new_from_slice` only fails for fixed-size-key MACs; HMAC has none.
    unreachable!("HMAC-SHA256 accepts keys of every length")
}

/// Signs `message` with `secret`, encoded as the provider expects.
pub fn sign(secret: &Secret, message: &[u8], encoding: SignatureEncoding) -> String {
    encoding.encode(&hmac_sha256(secret.expose().as_bytes(), message))
}

/// Checks a presented HMAC-SHA256 signature of `message` against each of
/// `secrets` (more than one while a secret is being rotated).
///
/// Comparison is constant-time; every secret is tried, whether or not an
/// earlier one matched. Returns [`Error::BadSignature`] when the signature is
/// missing, undecodable or matches none.
pub fn verify_hmac_sha256(
    secrets: &[Secret],
    message: &[u8],
    presented: Option<&str>,
    encoding: SignatureEncoding,
) -> Result<(), Error> {
    let presented = presented
        .filter(|p| !p.trim().is_empty())
        .ok_or_else(|| Error::bad_signature("no signature"))?;
    let presented = encoding
        .decode(presented)
        .ok_or_else(|| Error::bad_signature("signature is not validly encoded"))?;
    if secrets.is_empty() {
        return Err(Error::config("no webhook signing secret configured"));
    }
    let mut ok = subtle::Choice::from(0u8);
    for secret in secrets {
        let expected = hmac_sha256(secret.expose().as_bytes(), message);
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

    // RFC 4231, test case 2.
    const KEY: &str = "Jefe";
    const MSG: &[u8] = b"what do ya want for nothing?";
    const HEX: &str = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

    #[test]
    fn matches_rfc_4231_vector() {
        assert_eq!(hex::encode(hmac_sha256(KEY.as_bytes(), MSG)), HEX);
        assert_eq!(sign(&Secret::new(KEY), MSG, SignatureEncoding::Hex), HEX);
    }

    #[test]
    fn encodings_round_trip() {
        let bytes = hmac_sha256(KEY.as_bytes(), MSG);
        for enc in [
            SignatureEncoding::Hex,
            SignatureEncoding::Base64,
            SignatureEncoding::Base64UrlNoPad,
        ] {
            let text = enc.encode(&bytes);
            assert_eq!(enc.decode(&text).unwrap(), bytes, "{enc:?}");
        }
        let nopad = SignatureEncoding::Base64UrlNoPad.encode(&bytes);
        assert!(!nopad.contains('='));
        assert_eq!(
            SignatureEncoding::Base64UrlNoPad
                .decode(&format!("{nopad}="))
                .unwrap(),
            bytes
        );
    }

    #[test]
    fn verifies_and_rejects() {
        let secrets = [Secret::new("old"), Secret::new(KEY)];
        let good = sign(&Secret::new(KEY), MSG, SignatureEncoding::Base64UrlNoPad);
        verify_hmac_sha256(
            &secrets,
            MSG,
            Some(&good),
            SignatureEncoding::Base64UrlNoPad,
        )
        .unwrap();
        let e = verify_hmac_sha256(
            &secrets,
            b"tampered",
            Some(&good),
            SignatureEncoding::Base64UrlNoPad,
        )
        .unwrap_err();
        assert!(matches!(e, Error::BadSignature { .. }));
        let e = verify_hmac_sha256(&secrets, MSG, None, SignatureEncoding::Hex).unwrap_err();
        assert_eq!(e.to_string(), "webhook signature rejected: no signature");
        let e = verify_hmac_sha256(&secrets, MSG, Some("zz"), SignatureEncoding::Hex).unwrap_err();
        assert!(matches!(e, Error::BadSignature { .. }));
    }

    #[test]
    fn no_secret_is_a_config_error() {
        let e = verify_hmac_sha256(&[], MSG, Some(HEX), SignatureEncoding::Hex).unwrap_err();
        assert!(matches!(e, Error::Config { .. }));
    }
}
