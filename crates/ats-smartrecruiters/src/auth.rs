//! Inbound authentication: SmartRecruiters calls the vendor's endpoints
//! (`GET /packages`, `POST /packages/orders`) with `Authorization: Bearer`
//! and a token obtained with the customer-level credentials the vendor
//! created for that company during the integration setup.
//!
//! Issuing those tokens (the vendor's own token endpoint) is the vendor's
//! service, not this adapter's: the adapter looks the presented token up in
//! a [`KeyDirectory`] (constant-time comparison), which names the tenant.
//! Whether SmartRecruiters sends the token as `Bearer` is **unconfirmed**
//! (see `docs/providers/smartrecruiters.md`).

use ats_core::auth::{KeyDirectory, tenant_for_bearer_token};
use ats_core::{Error, InboundRequest, TenantId};

/// The tenant whose token the request carries.
pub async fn authenticate(
    keys: &dyn KeyDirectory,
    request: &InboundRequest,
) -> Result<TenantId, Error> {
    tenant_for_bearer_token(keys, &request.headers).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::auth::InMemoryKeys;
    use http::Method;

    fn req(auth: Option<&str>) -> InboundRequest {
        let r = InboundRequest::new(Method::GET, "/smartrecruiters/packages");
        match auth {
            Some(a) => r.with_header("authorization", a).unwrap(),
            None => r,
        }
    }

    #[tokio::test]
    async fn finds_tenant_by_token() {
        let keys = InMemoryKeys::new()
            .with("acme", "sr_in_acme_4c1f9e2b7d30")
            .with("globex", "sr_in_globex_8a2d6f0c1e57");
        assert_eq!(
            authenticate(&keys, &req(Some("Bearer sr_in_acme_4c1f9e2b7d30")))
                .await
                .unwrap(),
            TenantId::new("acme")
        );
        assert_eq!(
            authenticate(&keys, &req(Some("Bearer sr_in_globex_8a2d6f0c1e57")))
                .await
                .unwrap(),
            TenantId::new("globex")
        );
    }

    #[tokio::test]
    async fn refuses_what_is_not_a_known_bearer_token() {
        let keys = InMemoryKeys::new().with("acme", "sr_in_acme_4c1f9e2b7d30");
        for header in [
            None,
            Some("Bearer sr_in_acme_4c1f9e2b7d31"),
            Some("Bearer "),
            Some("Basic c3JfaW5fYWNtZV80YzFmOWUyYjdkMzA6"),
            Some("sr_in_acme_4c1f9e2b7d30"),
        ] {
            let e = authenticate(&keys, &req(header)).await.unwrap_err();
            assert_eq!(e.kind(), ats_core::ErrorKind::Unauthenticated, "{header:?}");
        }
    }
}
