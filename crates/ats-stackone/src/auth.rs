//! Inbound authentication.
//!
//! * **Webhooks**: StackOne signs every delivery with the webhook's signing
//!   secret: header `x-stackone-signature` = base64url (no padding)
//!   HMAC-SHA256 of the raw body. Several secrets may be configured while one
//!   is being rotated; all are tried in constant time. Where a webhook was
//!   set up with StackOne's simpler alternative, a secret `?token=` on the
//!   webhook URL, that token can be configured as a fallback used only when
//!   a delivery carries no signature (or no signing secret is configured).
//!   The signature covers no timestamp, so it cannot stop a replay: a
//!   repeated order carries the same order id (`provider_order_id`), by
//!   which the vendor recognises it.
//! * **The packages endpoint** the vendor hosts: StackOne documents nothing
//!   about how it calls it, and its configuration holds only the endpoint's
//!   URL. The vendor therefore issues one key per customer and puts it in
//!   that URL as `?token=<key>`; the key is looked up in a
//!   [`KeyDirectory`] (constant time) and names the tenant (the StackOne
//!   account id). The key is also accepted as `Authorization: Bearer <key>`
//!   or as the Basic user name, for deployments where a gateway adds the
//!   header; when that header is present, it is the credential checked.
//!   When the request carries `x-account-id`, it must be the key's tenant.
//!   [`AtsProvider::inbound_auth`](ats_core::AtsProvider::inbound_auth)
//!   reports this operation as
//!   [`InboundAuth::BasicApiKey`](ats_core::InboundAuth::BasicApiKey).

use ats_core::auth::{KeyDirectory, tenant_for_basic_key, tenant_for_bearer_token};
use ats_core::signature::{SignatureEncoding, verify_hmac_sha256};
use ats_core::{Error, InboundRequest, Secret, TenantId};
use http::header::AUTHORIZATION;

/// The header carrying the webhook signature.
pub const SIGNATURE_HEADER: &str = "x-stackone-signature";

/// The query parameter carrying a URL token (webhook fallback, and the
/// packages endpoint's key).
pub const TOKEN_PARAM: &str = "token";

/// The header StackOne uses to name a linked account.
pub const ACCOUNT_HEADER: &str = "x-account-id";

/// The encoding of `x-stackone-signature`.
pub const SIGNATURE_ENCODING: SignatureEncoding = SignatureEncoding::Base64UrlNoPad;

/// Checks a webhook delivery.
///
/// With a signature header and at least one signing secret, the signature
/// decides. Otherwise a configured URL token decides. With neither a
/// signature nor a token configured, the delivery is refused as unsigned; with
/// no secret and no token configured at all, the adapter is misconfigured
/// ([`Error::Config`]).
pub fn verify_webhook(
    secrets: &[Secret],
    url_token: Option<&Secret>,
    request: &InboundRequest,
) -> Result<(), Error> {
    let signature = request
        .headers
        .get(SIGNATURE_HEADER)
        .map(|v| v.to_str().unwrap_or_default());
    match (signature, secrets.is_empty(), url_token) {
        (Some(sig), false, _) => {
            verify_hmac_sha256(secrets, &request.body, Some(sig), SIGNATURE_ENCODING)
        }
        (_, _, Some(token)) => match request.query_param(TOKEN_PARAM) {
            Some(presented) if token.matches(presented.as_bytes()) => Ok(()),
            Some(_) => Err(Error::bad_signature("the URL token does not match")),
            None => Err(Error::bad_signature("no signature and no URL token")),
        },
        (None, false, None) => Err(Error::bad_signature("no signature")),
        (_, true, None) => Err(Error::config(
            "no StackOne webhook signing secret (or URL token) configured",
        )),
    }
}

/// Authenticates a call to the packages endpoint, returning the tenant of
/// the presented key (see the module docs).
///
/// An `Authorization` header, when present, is the credential (Basic user
/// name or Bearer token, looked up like every partner API's key); otherwise
/// the `?token=` query parameter is.
pub async fn authenticate_packages_request(
    keys: &dyn KeyDirectory,
    request: &InboundRequest,
) -> Result<TenantId, Error> {
    let tenant = match request.headers.get(AUTHORIZATION) {
        Some(value) => {
            let scheme = value
                .to_str()
                .ok()
                .and_then(|v| v.split_once(' '))
                .map(|(scheme, _)| scheme);
            match scheme {
                Some(s) if s.eq_ignore_ascii_case("basic") => {
                    tenant_for_basic_key(keys, &request.headers).await?
                }
                Some(s) if s.eq_ignore_ascii_case("bearer") => {
                    tenant_for_bearer_token(keys, &request.headers).await?
                }
                _ => {
                    return Err(Error::unauthenticated(
                        "expected the Basic or Bearer authorization scheme",
                    ));
                }
            }
        }
        None => tenant_for_url_token(keys, request).await?,
    };
    if let Some(account) = request.headers.get(ACCOUNT_HEADER) {
        let account = account.to_str().unwrap_or_default().trim();
        if !account.is_empty() && account != tenant.as_str() {
            return Err(Error::unauthenticated(
                "x-account-id is not the account this key was issued for",
            ));
        }
    }
    Ok(tenant)
}

/// The tenant of the key in the URL's `?token=`.
async fn tenant_for_url_token(
    keys: &dyn KeyDirectory,
    request: &InboundRequest,
) -> Result<TenantId, Error> {
    let token = request.query_param(TOKEN_PARAM).ok_or_else(|| {
        Error::unauthenticated("no key (expected `?token=` or an Authorization header)")
    })?;
    if token.trim().is_empty() {
        return Err(Error::unauthenticated("empty key in `?token=`"));
    }
    keys.tenant_for_key(&Secret::new(token))
        .await?
        .ok_or_else(|| Error::unauthenticated("unknown key in `?token=`"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::auth::InMemoryKeys;
    use ats_core::signature::sign;
    use http::Method;

    const BODY: &str = r#"{"event":"ats_assessments.created","account_id":"acc_7Qm2xT9kLp","record_id":"asr_5Hc8Wd3Ne1","data":{"id":"asr_5Hc8Wd3Ne1","candidate_id":"cnd_2Rb6Yf0Zq4","application_id":"app_9Kt1Mv7Xs3"}}"#;

    fn webhook(sig: Option<&str>, query: &str) -> InboundRequest {
        let r = InboundRequest::new(Method::POST, &format!("/stackone/webhooks{query}"))
            .with_body(BODY);
        match sig {
            Some(s) => r.with_header(SIGNATURE_HEADER, s).unwrap(),
            None => r,
        }
    }

    #[test]
    fn documented_test_vector_verifies() {
        // The vector computed in docs/providers/stackone.md.
        let secret = Secret::new("whsec_example_do_not_use");
        assert_eq!(
            sign(&secret, BODY.as_bytes(), SIGNATURE_ENCODING),
            "j3EtMoWLE5ppyiwK82kvGcn6X4_JaO3UjMeAtOiCb0o"
        );
        let secrets = [Secret::new("whsec_old"), secret];
        verify_webhook(
            &secrets,
            None,
            &webhook(Some("j3EtMoWLE5ppyiwK82kvGcn6X4_JaO3UjMeAtOiCb0o"), ""),
        )
        .unwrap();
        // padded form is accepted too
        verify_webhook(
            &secrets,
            None,
            &webhook(Some("j3EtMoWLE5ppyiwK82kvGcn6X4_JaO3UjMeAtOiCb0o="), ""),
        )
        .unwrap();
    }

    #[test]
    fn wrong_or_missing_signatures_are_refused() {
        let secrets = [Secret::new("whsec_example_do_not_use")];
        let e = verify_webhook(
            &secrets,
            None,
            &webhook(Some("a3EtMoWLE5ppyiwK82kvGcn6X4_JaO3UjMeAtOiCb0o"), ""),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "webhook signature rejected: signature does not match"
        );
        let e = verify_webhook(&secrets, None, &webhook(None, "")).unwrap_err();
        assert_eq!(e.to_string(), "webhook signature rejected: no signature");
        // a URL token does not replace a configured signature check
        let e = verify_webhook(&secrets, None, &webhook(None, "?token=t0k")).unwrap_err();
        assert!(matches!(e, Error::BadSignature { .. }));
    }

    #[test]
    fn url_token_fallback() {
        let secrets = [Secret::new("whsec_example_do_not_use")];
        let token = Secret::new("t0k-3f9a");
        verify_webhook(&secrets, Some(&token), &webhook(None, "?token=t0k-3f9a")).unwrap();
        verify_webhook(
            &[],
            Some(&token),
            &webhook(Some("ignored"), "?token=t0k-3f9a"),
        )
        .unwrap();
        let e =
            verify_webhook(&secrets, Some(&token), &webhook(None, "?token=t0k-3f9b")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "webhook signature rejected: the URL token does not match"
        );
        let e = verify_webhook(&secrets, Some(&token), &webhook(None, "")).unwrap_err();
        assert!(matches!(e, Error::BadSignature { .. }));
        // a signature, when present, is checked even with a token configured
        let e = verify_webhook(
            &secrets,
            Some(&token),
            &webhook(Some("bad"), "?token=t0k-3f9a"),
        )
        .unwrap_err();
        assert!(matches!(e, Error::BadSignature { .. }));
    }

    #[test]
    fn nothing_configured_is_a_config_error() {
        let e = verify_webhook(&[], None, &webhook(Some("x"), "")).unwrap_err();
        assert!(matches!(e, Error::Config { .. }));
    }

    fn packages(query: &str, headers: &[(&str, &str)]) -> InboundRequest {
        let mut r = InboundRequest::new(
            Method::GET,
            &format!("/stackone/assessments/packages{query}"),
        );
        for (k, v) in headers {
            r = r.with_header(k, v).unwrap();
        }
        r
    }

    #[tokio::test]
    async fn packages_key_in_query_or_header() {
        let keys = InMemoryKeys::new().with("acc_7Qm2xT9kLp", "pk_live_acme");
        let acme = TenantId::new("acc_7Qm2xT9kLp");
        let ok = |r: InboundRequest| {
            let keys = keys.clone();
            async move { authenticate_packages_request(&keys, &r).await }
        };
        assert_eq!(
            ok(packages("?token=pk_live_acme&page_size=25", &[]))
                .await
                .unwrap(),
            acme
        );
        assert_eq!(
            ok(packages("", &[("authorization", "Bearer pk_live_acme")]))
                .await
                .unwrap(),
            acme
        );
        // base64("pk_live_acme:") = "cGtfbGl2ZV9hY21lOg=="
        assert_eq!(
            ok(packages(
                "",
                &[("authorization", "Basic cGtfbGl2ZV9hY21lOg==")]
            ))
            .await
            .unwrap(),
            acme
        );
        assert_eq!(
            ok(packages(
                "?token=pk_live_acme",
                &[("x-account-id", "acc_7Qm2xT9kLp")]
            ))
            .await
            .unwrap(),
            acme
        );
        for (query, headers, reason) in [
            (
                "",
                vec![],
                "no key (expected `?token=` or an Authorization header)",
            ),
            ("?token=", vec![], "empty key in `?token=`"),
            ("?token=%20", vec![], "empty key in `?token=`"),
            ("?token=pk_live_other", vec![], "unknown key in `?token=`"),
            // the header, when present, is the credential: a good URL key
            // does not make up for a wrong one there
            (
                "?token=pk_live_acme",
                vec![("authorization", "Bearer nope")],
                "unknown Bearer token",
            ),
            // base64("nope:") = "bm9wZTo=", base64(":") = "Og=="
            (
                "",
                vec![("authorization", "Basic bm9wZTo=")],
                "unknown API key",
            ),
            ("", vec![("authorization", "Basic Og==")], "empty API key"),
            (
                "",
                vec![("authorization", "Basic not-base64!")],
                "Basic credentials are not valid base64",
            ),
            (
                "",
                vec![("authorization", "Digest x")],
                "expected the Basic or Bearer authorization scheme",
            ),
            (
                "?token=pk_live_acme",
                vec![("x-account-id", "acc_other")],
                "x-account-id is not the account this key was issued for",
            ),
        ] {
            let e = ok(packages(query, &headers)).await.unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("authentication failed: {reason}"),
                "{query} {headers:?}"
            );
        }
    }
}
