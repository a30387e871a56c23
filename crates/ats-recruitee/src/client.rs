//! Outbound calls: `PATCH {api}/p/{codename}/reports/{report_id}` with the
//! report's new status and results, authenticated with the partner's
//! secret in the `RT-PARTNER-SECRET` header. The secret belongs to the
//! partner, not to a customer: one secret serves every tenant.

use ats_core::client::{Auth, HttpClient, ProviderMessage};
use ats_core::http::url_with_segments;
use ats_core::{AssessmentResult, Delivery, Error, OrderHandle, PreparedRequest, Secret};
use http::{HeaderName, Method};
use url::Url;

use crate::translate::{self, PartnerKind};

/// The name of the report update call.
pub const UPDATE_REPORT: &str = "update_report";

/// The header carrying the partner secret.
pub const PARTNER_SECRET_HEADER: &str = "rt-partner-secret";

/// Builds the report `PATCH` for an order and a result (JSON body, no
/// credentials). The report id is the order's provider order id
/// (`report_id` of `send_candidate`), one path segment of its own. A
/// `PATCH` carrying the whole state is safe to repeat, so it is retried.
pub fn update_report(
    order: &OrderHandle,
    result: &AssessmentResult,
    api_base: &Url,
    codename: Option<&str>,
    kind: PartnerKind,
) -> Result<PreparedRequest, Error> {
    let report_id = order.provider_order_id.as_deref().ok_or_else(|| {
        Error::config("the order has no report id (Recruitee sends `report_id` with the candidate)")
    })?;
    let codename = codename.ok_or_else(|| {
        Error::config("no Recruitee partner codename configured (RecruiteeBuilder::codename)")
    })?;
    let url = url_with_segments(api_base, &["p", codename, "reports", report_id])?;
    let body = translate::report_update(result, kind)?;
    PreparedRequest::new(UPDATE_REPORT, Method::PATCH, url)
        .json(&body)
        .map(|r| r.idempotent(true))
}

/// Sends a prepared request with the partner secret.
pub async fn send(
    http: &HttpClient,
    secret: Option<&Secret>,
    request: &PreparedRequest,
) -> Result<Delivery, Error> {
    let secret = secret.filter(|s| !s.is_empty()).ok_or_else(|| {
        Error::config("no Recruitee partner secret configured (RecruiteeBuilder::partner_secret)")
    })?;
    let auth = Auth::Header {
        name: HeaderName::from_static(PARTNER_SECRET_HEADER),
        value: secret.clone(),
    };
    let reply = http.send(request, &auth, ProviderMessage::generic).await?;
    Ok(Delivery {
        attempts: reply.attempts,
        warnings: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::{AssessmentStatus, Score, TenantId};

    fn handle(report_id: Option<&str>) -> OrderHandle {
        OrderHandle {
            provider: "recruitee".into(),
            tenant: Some(TenantId::new("acme")),
            provider_order_id: report_id.map(str::to_owned),
            vendor_assessment_id: Some("asm_1".into()),
            package_id: Some("2".into()),
            candidate_id: Some("48213".into()),
            callback_url: None,
            context: Default::default(),
        }
    }

    fn base() -> Url {
        Url::parse("https://integrations.recruitee.com/api").unwrap()
    }

    #[test]
    fn builds_an_idempotent_json_patch() {
        let mut result = AssessmentResult::with_status(AssessmentStatus::Completed);
        result.score = Some(Score::bare(10.0));
        let r = update_report(
            &handle(Some("5f0c2a7e-3b1d-4c8e-9a42-61d0b7e9c3f5")),
            &result,
            &base(),
            Some("acme-assess"),
            PartnerKind::Assessment,
        )
        .unwrap();
        assert_eq!(r.method, Method::PATCH);
        assert_eq!(
            r.url.as_str(),
            "https://integrations.recruitee.com/api/p/acme-assess/reports/5f0c2a7e-3b1d-4c8e-9a42-61d0b7e9c3f5"
        );
        assert!(r.idempotent);
        assert_eq!(&r.body[..], br#"{"status":"completed","score":"10"}"#);
        assert_eq!(r.headers["content-type"], "application/json");
        assert!(!r.headers.contains_key(PARTNER_SECRET_HEADER));
    }

    #[test]
    fn ids_stay_in_their_segment() {
        let result = AssessmentResult::with_status(AssessmentStatus::Invited);
        let r = update_report(
            &handle(Some("a b")),
            &result,
            &base(),
            Some("acme-assess"),
            PartnerKind::Assessment,
        )
        .unwrap();
        assert_eq!(
            r.url.as_str(),
            "https://integrations.recruitee.com/api/p/acme-assess/reports/a%20b"
        );
        let e = update_report(
            &handle(Some("..")),
            &result,
            &base(),
            Some("acme-assess"),
            PartnerKind::Assessment,
        )
        .unwrap_err();
        assert!(matches!(e, Error::Malformed { .. }), "{e}");
    }

    #[test]
    fn needs_a_report_id_and_a_codename() {
        let result = AssessmentResult::with_status(AssessmentStatus::Invited);
        let e = update_report(
            &handle(None),
            &result,
            &base(),
            Some("c"),
            PartnerKind::Assessment,
        )
        .unwrap_err();
        assert!(matches!(e, Error::Config { .. }), "{e}");
        let e = update_report(
            &handle(Some("r")),
            &result,
            &base(),
            None,
            PartnerKind::Assessment,
        )
        .unwrap_err();
        assert!(e.to_string().contains("codename"), "{e}");
    }
}
