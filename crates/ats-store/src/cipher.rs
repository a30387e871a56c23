//! Encryption of secrets at rest: XChaCha20-Poly1305 under a [`KeyRing`].
//!
//! A sealed value is `[1, key id, 24-byte nonce, ciphertext + tag]`. The
//! row's identity (provider, tenant, name) is the associated data, so a
//! sealed value copied into another row does not open. The first key of the
//! ring seals; every key opens, so keys rotate without downtime: add the new
//! key first, restart, run [`crate::Store::reseal_secrets`], then drop the
//! old key.

use std::fmt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, OsRng, Payload, rand_core::RngCore};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use crate::error::StoreError;

const FORMAT: u8 = 1;
const NONCE_LEN: usize = 24;
/// Poly1305's tag, at the end of every sealed value.
const TAG_LEN: usize = 16;
/// Format byte, key id, nonce and tag: the shortest sealed value (of an
/// empty plaintext).
const MIN_SEALED: usize = 2 + NONCE_LEN + TAG_LEN;

/// The keys secrets are encrypted with: the first seals, all open.
///
/// Written as text, a ring is a comma-separated list of `id:base64key`
/// (ids 0–255, keys 32 bytes), newest first:
///
/// ```
/// use ats_store::KeyRing;
///
/// let ring = KeyRing::parse("2:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
/// assert_eq!(ring.primary_id(), 2);
/// assert!(!format!("{ring:?}").contains("AAEC"));
/// ```
#[derive(Clone)]
pub struct KeyRing {
    keys: Vec<(u8, XChaCha20Poly1305)>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<u8> = self.keys.iter().map(|(id, _)| *id).collect();
        f.debug_struct("KeyRing").field("key_ids", &ids).finish()
    }
}

impl KeyRing {
    /// A ring of one freshly generated key (id 1): for tests and throw-away
    /// databases. Secrets sealed with it are lost with the process.
    pub fn ephemeral() -> Self {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        Self {
            keys: vec![(1, XChaCha20Poly1305::new(Key::from_slice(&key)))],
        }
    }

    /// A new random key, as `id:base64` text for [`parse`](Self::parse).
    pub fn generate_text(id: u8) -> String {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        format!("{id}:{}", STANDARD.encode(key))
    }

    /// Parses `id:base64key[,id:base64key…]`, newest first.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let mut keys = Vec::new();
        for (n, part) in text.split(',').map(str::trim).enumerate() {
            if part.is_empty() {
                continue;
            }
            let bad = |why: &str| StoreError::Config(format!("encryption key #{}: {why}", n + 1));
            let (id, key) = part
                .split_once(':')
                .ok_or_else(|| bad("expected `id:base64key`"))?;
            let id: u8 = id.trim().parse().map_err(|_| bad("id must be 0-255"))?;
            let bytes = STANDARD
                .decode(key.trim())
                .map_err(|_| bad("key is not valid base64"))?;
            if bytes.len() != 32 {
                return Err(bad("key must be 32 bytes"));
            }
            if keys.iter().any(|(k, _)| *k == id) {
                return Err(bad("id used twice"));
            }
            keys.push((id, XChaCha20Poly1305::new(Key::from_slice(&bytes))));
        }
        if keys.is_empty() {
            return Err(StoreError::Config("no encryption key given".into()));
        }
        Ok(Self { keys })
    }

    /// Reads the ring from environment variable `name`.
    pub fn from_env(name: &str) -> Result<Self, StoreError> {
        let text = std::env::var(name).map_err(|_| {
            StoreError::Config(format!(
                "environment variable {name} is not set (expected `id:base64key`; generate one with `ats keygen`)"
            ))
        })?;
        Self::parse(&text)
    }

    /// Reads the ring from a file (its whole content, as for [`parse`](Self::parse)).
    pub fn from_file(path: &Path) -> Result<Self, StoreError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            StoreError::Config(format!("cannot read key file {}: {e}", path.display()))
        })?;
        Self::parse(&text)
    }

    /// The id of the key that seals.
    pub fn primary_id(&self) -> u8 {
        self.keys.first().map(|(id, _)| *id).unwrap_or_default()
    }

    /// Encrypts `plain`, binding it to `context`.
    pub(crate) fn seal(&self, context: &str, plain: &[u8]) -> Result<Vec<u8>, StoreError> {
        let (id, cipher) = self
            .keys
            .first()
            .ok_or_else(|| StoreError::Config("no encryption key".into()))?;
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Crypto("encryption failed".into()))?;
        let mut out = Vec::with_capacity(2 + NONCE_LEN + sealed.len());
        out.push(FORMAT);
        out.push(*id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts a value sealed for `context`.
    pub(crate) fn open(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        if sealed.len() < MIN_SEALED || sealed[0] != FORMAT {
            return Err(StoreError::Crypto(format!(
                "sealed value for {context} is truncated or has an unknown format"
            )));
        }
        let id = sealed[1];
        let (_, cipher) = self.keys.iter().find(|(k, _)| *k == id).ok_or_else(|| {
            StoreError::Crypto(format!(
                "{context} is sealed with key {id}, which is not in the key ring"
            ))
        })?;
        let nonce = XNonce::from_slice(&sealed[2..2 + NONCE_LEN]);
        cipher
            .decrypt(
                nonce,
                Payload {
                    msg: &sealed[2 + NONCE_LEN..],
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| {
                StoreError::Crypto(format!(
                    "{context} does not decrypt (wrong key, or the value was altered)"
                ))
            })
    }

    /// The key id a sealed value was sealed with.
    pub(crate) fn key_id_of(sealed: &[u8]) -> Option<u8> {
        sealed.get(1).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "2:HxwdHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

    #[test]
    fn seals_and_opens_bound_to_context() {
        let ring = KeyRing::parse(K1).unwrap();
        let sealed = ring.seal("p/t/api_key", b"hunter2").unwrap();
        assert_eq!(sealed[0], 1);
        assert_eq!(sealed[1], 1);
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(ring.open("p/t/api_key", &sealed).unwrap(), b"hunter2");
        assert!(ring.open("p/other/api_key", &sealed).is_err());
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert!(ring.open("p/t/api_key", &altered).is_err());
        // two seals of the same value differ (random nonce)
        assert_ne!(sealed, ring.seal("p/t/api_key", b"hunter2").unwrap());
    }

    #[test]
    fn rotation_opens_old_and_seals_new() {
        let old = KeyRing::parse(K1).unwrap();
        let sealed_old = old.seal("c", b"v").unwrap();
        let ring = KeyRing::parse(&format!("{K2},{K1}")).unwrap();
        assert_eq!(ring.primary_id(), 2);
        assert_eq!(ring.open("c", &sealed_old).unwrap(), b"v");
        let sealed_new = ring.seal("c", b"v").unwrap();
        assert_eq!(KeyRing::key_id_of(&sealed_new), Some(2));
        let e = old.open("c", &sealed_new).unwrap_err().to_string();
        assert!(e.contains("key 2"), "{e}");
    }

    #[test]
    fn parse_refuses_bad_rings() {
        for bad in [
            "",
            "1",
            "x:AAAA",
            "1:!!",
            "1:AAAA",
            &format!("{K1},{K1}"),
            "300:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        ] {
            assert!(KeyRing::parse(bad).is_err(), "{bad}");
        }
        let generated = KeyRing::generate_text(9);
        assert_eq!(KeyRing::parse(&generated).unwrap().primary_id(), 9);
    }

    #[test]
    fn debug_names_the_key_ids_only() {
        let ring = KeyRing::parse(&format!("{K2},{K1}")).unwrap();
        assert_eq!(format!("{ring:?}"), "KeyRing { key_ids: [2, 1] }");
    }

    #[test]
    fn short_or_foreign_values_do_not_open() {
        let ring = KeyRing::parse(K1).unwrap();
        assert!(ring.open("c", b"").is_err());
        assert!(ring.open("c", &[2u8; 60]).is_err());
        // an empty value seals to the shortest value there is, and opens
        let empty = ring.seal("c", b"").unwrap();
        assert_eq!(empty.len(), MIN_SEALED);
        assert_eq!(ring.open("c", &empty).unwrap(), b"");
        // one byte less is refused before decryption is tried
        let cut = ring.open("c", &empty[..MIN_SEALED - 1]).unwrap_err();
        assert!(cut.to_string().contains("truncated"), "{cut}");
    }
}
