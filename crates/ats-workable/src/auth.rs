//! Inbound authentication: Workable sends `Authorization: Bearer <token>`
//! on every call, with a token the vendor issued to the customer and the
//! customer entered in Workable. The token is how the vendor tells its
//! customers apart: the create request names no account.

use ats_core::auth::{KeyDirectory, tenant_for_bearer_token};
use ats_core::{Error, InboundRequest, TenantId};

/// Checks the request's Bearer token and returns the tenant it was issued
/// to. A missing header, another scheme, an empty token or an unknown token
/// is [`Error::Unauthenticated`].
pub async fn authenticate(
    keys: &dyn KeyDirectory,
    request: &InboundRequest,
) -> Result<TenantId, Error> {
    tenant_for_bearer_token(keys, &request.headers).await
}

/// Whether a token can be handed to a customer for Workable: 16 to 512
/// visible ASCII characters without spaces, so it survives the
/// `Authorization` header unchanged.
pub fn is_valid_token(token: &str) -> bool {
    ats_core::auth::is_pasteable_token(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::auth::InMemoryKeys;
    use http::Method;

    fn req(auth: Option<&str>) -> InboundRequest {
        let r = InboundRequest::new(Method::GET, "/workable/tests");
        match auth {
            Some(a) => r.with_header("authorization", a).unwrap(),
            None => r,
        }
    }

    #[tokio::test]
    async fn finds_the_tenant_by_token() {
        let keys = InMemoryKeys::new()
            .with("acme", "wk_in_acme_5f2b9c1e7d")
            .with("globex", "wk_in_globex_0a9d8c");
        assert_eq!(
            authenticate(&keys, &req(Some("Bearer wk_in_acme_5f2b9c1e7d")))
                .await
                .unwrap(),
            TenantId::new("acme")
        );
        assert_eq!(
            authenticate(&keys, &req(Some("bearer wk_in_globex_0a9d8c")))
                .await
                .unwrap(),
            TenantId::new("globex")
        );
    }

    #[tokio::test]
    async fn refuses_everything_else() {
        let keys = InMemoryKeys::new().with("acme", "wk_in_acme_5f2b9c1e7d");
        let cases = [
            (None, "authentication failed: no Authorization header"),
            (
                Some("Bearer wk_in_acme_wrong"),
                "authentication failed: unknown Bearer token",
            ),
            (
                Some("Basic d2tfaW5fYWNtZV81ZjJiOWMxZTdkOg=="),
                "authentication failed: expected the Bearer authorization scheme",
            ),
            (Some("Bearer "), "authentication failed: empty Bearer token"),
            (
                Some("wk_in_acme_5f2b9c1e7d"),
                "authentication failed: expected the Bearer authorization scheme",
            ),
        ];
        for (header, want) in cases {
            let e = authenticate(&keys, &req(header)).await.unwrap_err();
            assert_eq!(e.to_string(), want, "{header:?}");
            assert!(matches!(e, Error::Unauthenticated { .. }));
        }
    }

    #[test]
    fn token_rules() {
        assert!(is_valid_token("78e3be68d98268509ea304a506ed6362d"));
        assert!(!is_valid_token("short"));
        assert!(!is_valid_token("has a space in the middle"));
        assert!(!is_valid_token(&"a".repeat(513)));
    }
}
