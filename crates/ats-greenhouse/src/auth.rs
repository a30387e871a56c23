//! Inbound authentication: Greenhouse sends HTTP Basic with the API key the
//! vendor issued to the customer as the user name and an empty password.

use ats_core::auth::{KeyDirectory, tenant_for_basic_key};
use ats_core::{Error, InboundRequest, TenantId};

/// Greenhouse refuses API keys of 171 characters or more.
pub const MAX_API_KEY_LEN: usize = 170;

/// Checks the request's Basic credentials and returns the tenant whose key
/// they carry. The password is ignored (Greenhouse sends an empty one).
pub async fn authenticate(
    keys: &dyn KeyDirectory,
    request: &InboundRequest,
) -> Result<TenantId, Error> {
    tenant_for_basic_key(keys, &request.headers).await
}

/// Whether a key can be given to Greenhouse (non-empty, shorter than 171
/// characters, visible ASCII so it survives the Basic header).
pub fn is_valid_api_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_API_KEY_LEN
        && key.bytes().all(|b| b.is_ascii_graphic() && b != b':')
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::auth::InMemoryKeys;
    use http::Method;

    fn req(auth: Option<&str>) -> InboundRequest {
        let r = InboundRequest::new(Method::GET, "/list_tests");
        match auth {
            Some(a) => r.with_header("authorization", a).unwrap(),
            None => r,
        }
    }

    #[tokio::test]
    async fn finds_tenant_by_key() {
        let keys = InMemoryKeys::new().with("acme", "k1");
        // base64("k1:") = "azE6"
        assert_eq!(
            authenticate(&keys, &req(Some("Basic azE6"))).await.unwrap(),
            TenantId::new("acme")
        );
        // base64("k2:") = "azI6"
        let e = authenticate(&keys, &req(Some("Basic azI6")))
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "authentication failed: unknown API key");
        assert!(authenticate(&keys, &req(None)).await.is_err());
        // base64(":") = "Og=="
        assert!(authenticate(&keys, &req(Some("Basic Og=="))).await.is_err());
    }

    #[test]
    fn key_rules() {
        assert!(is_valid_api_key("0d031d8227eafa61dc375a6c2e067e24"));
        assert!(!is_valid_api_key(&"a".repeat(171)));
        assert!(is_valid_api_key(&"a".repeat(170)));
        assert!(!is_valid_api_key("has:colon"));
        assert!(!is_valid_api_key(""));
    }
}
