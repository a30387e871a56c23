//! Inbound authentication: Ashby calls the partner-implemented endpoints with
//! HTTP Basic, the API key the vendor issued for the customer as user name.
//!
//! Ashby's OpenAPI for partner-implemented endpoints declares HTTP Basic as
//! its only scheme, and Ashby's own API puts the key in the user name with
//! an empty password. The password is ignored here (its use is not
//! documented). Ashby's calls name no customer, so the key is how the vendor
//! knows which customer is calling: issue one key per customer.

use ats_core::auth::{KeyDirectory, tenant_for_basic_key};
use ats_core::{Error, InboundRequest, TenantId};

/// Checks the request's Basic credentials and returns the tenant whose key
/// they carry.
pub async fn authenticate(
    keys: &dyn KeyDirectory,
    request: &InboundRequest,
) -> Result<TenantId, Error> {
    tenant_for_basic_key(keys, &request.headers).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::auth::InMemoryKeys;
    use http::Method;

    fn req(auth: Option<&str>) -> InboundRequest {
        let r = InboundRequest::new(Method::POST, "/ashby/assessment.list");
        match auth {
            Some(a) => r.with_header("authorization", a).unwrap(),
            None => r,
        }
    }

    #[tokio::test]
    async fn finds_tenant_by_key_and_ignores_the_password() {
        let keys = InMemoryKeys::new().with("acme", "k1");
        // base64("k1:") = "azE6"
        assert_eq!(
            authenticate(&keys, &req(Some("Basic azE6"))).await.unwrap(),
            TenantId::new("acme")
        );
        // base64("k1:pw") = "azE6cHc="
        assert_eq!(
            authenticate(&keys, &req(Some("Basic azE6cHc=")))
                .await
                .unwrap(),
            TenantId::new("acme")
        );
        // base64("k2:") = "azI6"
        let e = authenticate(&keys, &req(Some("Basic azI6")))
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "authentication failed: unknown API key");
        let e = authenticate(&keys, &req(None)).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "authentication failed: no Authorization header"
        );
        // base64(":") = "Og=="
        let e = authenticate(&keys, &req(Some("Basic Og==")))
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "authentication failed: empty API key");
        assert!(authenticate(&keys, &req(Some("Bearer k1"))).await.is_err());
    }
}
