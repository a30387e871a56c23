//! Pure translation between Bob's wire format and the core model: no I/O,
//! no clock (times come in as arguments), never a panic.
//!
//! # Inbound
//!
//! | Bob webhook | core event |
//! |---|---|
//! | `assessment.triggered` | [`InboundEvent::OrderReceived`]: ids only here; [`crate::HiBob`]'s `receive` fills in the candidate, requester, job opening and package from `GET /hiring/assessments/{id}` ([`enrich_order`]) |
//! | `assessment.cancelled` | [`InboundEvent::OrderCancelled`] by `assessmentRequestId` |
//!
//! The tenant is the delivery's `companyId` (one webhook URL serves every
//! installing company).
//!
//! # Status mapping (outbound)
//!
//! Bob's `status` is one combined enum (process and outcome). The values
//! `completed`, `passed` and `failed` are named in Bob's reference; the
//! others were not read (*unconfirmed*), so the statuses they would carry
//! are refused before sending unless the builder names their wire value
//! ([`crate::HiBobBuilder::status_value`]).
//!
//! | core result | Bob `status` |
//! |---|---|
//! | `completed`, `passed: true` | `passed` |
//! | `completed`, `passed: false` | `failed` |
//! | `completed`, `passed` unknown | `completed` |
//! | `invited`, `in_progress`, `cancelled`, `expired`, `error` | configured value, else refused ([`Error::Config`]) |
//!
//! Other fields: `providerAssessmentId` ← the vendor's assessment id;
//! `score` ← the score's value; `verdict` ← the grade; `resultUrl` ← the
//! report URL (HTTPS only, refused otherwise); `comments` ← the summary.
//! `sectionSummary` is not sent (its shape is *unconfirmed*).

use std::collections::HashMap;

use ats_core::codec::{decode_json_object, decode_json_with_raw, json_number, non_blank, required};
use ats_core::http::fit_for_path;
use ats_core::{
    AssessmentOrder, AssessmentResult, AssessmentStatus, Cancellation, Candidate, Email, Error,
    InboundEvent, Job, OrderHandle, OrderRef, OrderedPackage, Person, Phone, RawJson, TenantId,
};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::wire::{AssessmentDetails, UpdateAssessment, WebhookDelivery};

/// The adapter's name.
pub const PROVIDER: &str = "hibob";

/// Webhook: a recruiter ordered an assessment.
pub const ASSESSMENT_TRIGGERED: &str = "assessment.triggered";
/// Webhook: the assessment was cancelled in Bob.
pub const ASSESSMENT_CANCELLED: &str = "assessment.cancelled";

/// The webhook event types the adapter handles.
pub const EVENTS: [&str; 2] = [ASSESSMENT_TRIGGERED, ASSESSMENT_CANCELLED];

/// Context key: Bob's assessment id (the PATCH path's id).
pub const CTX_ASSESSMENT_REQUEST_ID: &str = "assessment_request_id";
/// Context key: the Bob company.
pub const CTX_COMPANY_ID: &str = "company_id";

/// Bob's status values named in the reference (the rest are unconfirmed).
pub const COMPLETED: &str = "completed";
/// The passed outcome.
pub const PASSED: &str = "passed";
/// The failed outcome.
pub const FAILED: &str = "failed";

/// Reads a webhook body.
pub fn decode_delivery(body: &[u8]) -> Result<WebhookDelivery, Error> {
    decode_json_object(body)
}

/// The delivery's event type (`type`); a blank one is missing.
pub fn event_type(delivery: &WebhookDelivery) -> Result<&str, Error> {
    required(delivery.r#type.as_deref(), "type")
}

/// The Bob company the delivery is for (`companyId`), as the tenant id; a
/// blank one is missing.
pub fn company(delivery: &WebhookDelivery) -> Result<TenantId, Error> {
    let id = required(delivery.company_id.as_deref(), "companyId")?;
    if id.chars().any(char::is_control) {
        return Err(Error::malformed("companyId", "is not printable"));
    }
    Ok(TenantId::new(id.trim()))
}

/// Whether `id` looks like one of Bob's assessment ids: documented as a
/// numeric id sent as a string; letters, `-` and `_` are let through too,
/// nothing that could change a URL path.
pub fn plausible_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && fit_for_path(id)
}

/// `data.assessmentRequestId`: present and a plausible id
/// ([`plausible_id`]).
pub fn assessment_request_id(delivery: &WebhookDelivery) -> Result<String, Error> {
    let data = delivery
        .data
        .as_ref()
        .ok_or_else(|| Error::missing("data"))?;
    let id = required(
        data.assessment_request_id.as_deref(),
        "data.assessmentRequestId",
    )?
    .trim();
    if !plausible_id(id) {
        return Err(Error::malformed(
            "data.assessmentRequestId",
            "is blank or not an assessment id",
        ));
    }
    Ok(id.to_owned())
}

/// The key the replay guard remembers a delivery under: one event of one
/// assessment (a triggered and a cancelled event of the same assessment
/// are different deliveries).
pub fn delivery_key(event: &str, company: &TenantId, assessment: &str) -> String {
    format!("{PROVIDER}:{company}:{event}:{assessment}")
}

/// Translates a webhook. `received_at` is the delivery's arrival time.
///
/// For `assessment.triggered` the order carries ids only (an empty
/// `package_id` and candidate): the details come from Bob's API.
pub fn webhook_to_event(
    operation: &str,
    body: &[u8],
    received_at: DateTime<Utc>,
) -> Result<InboundEvent, Error> {
    let (delivery, raw): (WebhookDelivery, RawJson) = decode_json_with_raw(body)?;
    let kind = event_type(&delivery)?;
    if kind != operation {
        return Err(Error::malformed(
            "type",
            format!("`{kind}` is not the operation `{operation}`"),
        ));
    }
    let tenant = company(&delivery)?;
    let id = assessment_request_id(&delivery)?;
    match operation {
        ASSESSMENT_TRIGGERED => {
            let mut context = Map::new();
            context.insert(CTX_ASSESSMENT_REQUEST_ID.into(), Value::String(id.clone()));
            context.insert(
                CTX_COMPANY_ID.into(),
                Value::String(tenant.as_str().to_owned()),
            );
            Ok(InboundEvent::OrderReceived(Box::new(AssessmentOrder {
                provider: PROVIDER.to_owned(),
                tenant: Some(tenant),
                provider_order_id: Some(id),
                package_id: String::new(),
                package: None,
                candidate: Candidate::default(),
                application: None,
                job: None,
                requested_by: None,
                callback_url: None,
                received_at,
                context,
                extras: Map::new(),
                raw,
            })))
        }
        ASSESSMENT_CANCELLED => Ok(InboundEvent::OrderCancelled(Cancellation {
            provider: PROVIDER.to_owned(),
            tenant: Some(tenant),
            order: OrderRef::provider(id),
            reason: None,
            received_at,
            raw,
        })),
        other => Err(ats_core::provider::unknown_operation(
            PROVIDER,
            format!("webhook event `{other}`"),
        )),
    }
}

fn text(value: Option<&String>) -> Option<String> {
    non_blank(value.map(|v| v.trim().to_owned()))
}

/// Completes an order from `GET /hiring/assessments/{id}`: the package,
/// the candidate, the requester and the job opening. The details' raw JSON
/// is kept under `raw.details`.
///
/// [`Error::Malformed`] when the details name no package id (the order
/// cannot be routed to a package) or another assessment.
pub fn enrich_order(
    mut order: AssessmentOrder,
    details: &AssessmentDetails,
    details_raw: RawJson,
) -> Result<AssessmentOrder, Error> {
    if let (Some(got), Some(want)) = (text(details.id.as_ref()), &order.provider_order_id)
        && &got != want
    {
        return Err(Error::malformed(
            "details.id",
            format!("Bob answered with assessment `{got}`, not `{want}`"),
        ));
    }
    let package = details
        .package
        .as_ref()
        .ok_or_else(|| Error::missing("details.package"))?;
    order.package_id =
        text(package.id.as_ref()).ok_or_else(|| Error::missing("details.package.id"))?;
    let ordered = OrderedPackage {
        name: text(package.name.as_ref()),
        ..OrderedPackage::default()
    };
    order.package = (!ordered.is_empty()).then_some(ordered);
    if let Some(c) = &details.candidate {
        order.candidate = Candidate {
            id: text(c.id.as_ref()),
            first_name: text(c.first_name.as_ref()),
            last_name: text(c.last_name.as_ref()),
            emails: text(c.email.as_ref())
                .map(|address| {
                    vec![Email {
                        address,
                        kind: None,
                    }]
                })
                .unwrap_or_default(),
            phones: text(c.phone.as_ref())
                .map(|number| vec![Phone { number, kind: None }])
                .unwrap_or_default(),
            ..Candidate::default()
        };
    }
    order.requested_by = details.requester.as_ref().map(|r| Person {
        id: text(r.id.as_ref()),
        first_name: text(r.first_name.as_ref()),
        last_name: text(r.last_name.as_ref()),
        email: text(r.email.as_ref()),
        roles: vec!["requester".to_owned()],
    });
    order.job = details.job_opening.as_ref().map(|j| Job {
        id: text(j.id.as_ref()),
        name: text(j.title.as_ref()),
        ..Job::default()
    });
    if let Some(at) = text(details.requested_at.as_ref()) {
        order
            .extras
            .insert("requested_at".into(), Value::String(at));
    }
    #[derive(serde::Serialize)]
    struct Raw<'a> {
        webhook: &'a RawJson,
        details: &'a RawJson,
    }
    order.raw = RawJson::from_serialize(&Raw {
        webhook: &order.raw,
        details: &details_raw,
    })
    .map_err(|e| Error::malformed("details", e.to_string()))?;
    Ok(order)
}

/// The assessment id a result is written to: the handle's context, else
/// its provider order id.
pub fn target_assessment(order: &OrderHandle) -> Result<String, Error> {
    let id = order
        .context
        .get(CTX_ASSESSMENT_REQUEST_ID)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| order.provider_order_id.clone())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            Error::config("the order handle names no Bob assessment (assessmentRequestId)")
        })?;
    if !plausible_id(&id) {
        return Err(Error::config(format!(
            "the order's assessment id `{id}` is not a Bob assessment id"
        )));
    }
    Ok(id)
}

/// Bob's `status` for a result, with `configured` naming the wire values
/// of the statuses Bob's reference does not list (see the module docs).
pub fn status_value(
    result: &AssessmentResult,
    configured: &HashMap<AssessmentStatus, String>,
) -> Result<String, Error> {
    if result.status == AssessmentStatus::Completed {
        return Ok(match result.passed {
            Some(true) => PASSED,
            Some(false) => FAILED,
            None => COMPLETED,
        }
        .to_owned());
    }
    configured
        .get(&result.status)
        .filter(|v| !v.trim().is_empty())
        .cloned()
        .ok_or_else(|| {
            Error::config(format!(
                "no Bob status value is configured for `{}` (only completed, passed and failed are documented; set one with HiBobBuilder::status_value)",
                result.status
            ))
        })
}

/// The PATCH body for a result.
pub fn update_body(
    order: &OrderHandle,
    result: &AssessmentResult,
    configured: &HashMap<AssessmentStatus, String>,
) -> Result<UpdateAssessment, Error> {
    let status = status_value(result, configured)?;
    let result_url = match &result.report_url {
        Some(url) if url.scheme() == "https" => Some(url.to_string()),
        Some(url) => {
            return Err(Error::config(format!(
                "Bob takes only an https resultUrl, not `{}`",
                url.scheme()
            )));
        }
        None => None,
    };
    let score = match &result.score {
        Some(s) => Some(
            json_number(s.value)
                .ok_or_else(|| Error::config("the score is not a finite number Bob can store"))?,
        ),
        None => None,
    };
    Ok(UpdateAssessment {
        status,
        provider_assessment_id: non_blank(order.vendor_assessment_id.clone()),
        score,
        verdict: non_blank(result.grade.clone()),
        result_url,
        comments: non_blank(result.summary.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::Score;
    use serde_json::json;

    const AT: &str = "2026-01-01T10:00:00Z";

    #[test]
    fn a_company_id_with_a_control_character_is_refused_at_its_field() {
        let delivery = |id: &str| WebhookDelivery {
            company_id: Some(id.to_owned()),
            ..decode_delivery(br#"{"type": "assessment.triggered"}"#).unwrap()
        };
        assert_eq!(
            company(&delivery(" 900123 ")).unwrap(),
            TenantId::new("900123")
        );
        for bad in ["900\u{7}123", "900123\n"] {
            let e = company(&delivery(bad)).unwrap_err();
            assert_eq!(e.kind(), ats_core::ErrorKind::Malformed, "{bad:?}: {e}");
            assert!(e.to_string().contains("companyId"), "{e}");
        }
    }

    #[test]
    fn assessment_ids_take_letters_digits_dashes_and_underscores_only() {
        for ok in ["41872", "41-872", "41_872", "aB9"] {
            assert!(plausible_id(ok), "{ok}");
        }
        for bad in [
            "",
            "41/872",
            "41 872",
            "41.872",
            "41%2F",
            "ü1",
            &"9".repeat(65),
        ] {
            assert!(!plausible_id(bad), "{bad:?}");
        }
        assert!(plausible_id(&"9".repeat(64)));
    }

    #[test]
    fn the_replay_key_names_provider_company_event_and_assessment() {
        let acme = TenantId::new("900123");
        assert_eq!(
            delivery_key("assessment.triggered", &acme, "41872"),
            "hibob:900123:assessment.triggered:41872"
        );
        assert_ne!(
            delivery_key("assessment.triggered", &acme, "41872"),
            delivery_key("assessment.cancelled", &acme, "41872")
        );
    }

    fn at() -> DateTime<Utc> {
        AT.parse().unwrap()
    }

    fn handle() -> OrderHandle {
        serde_json::from_value(json!({
            "provider": "hibob", "tenant": "900123", "provider_order_id": "41872",
            "vendor_assessment_id": "asm_7Q2K9",
            "context": {"assessment_request_id": "41872", "company_id": "900123"}
        }))
        .unwrap()
    }

    fn body(result: &AssessmentResult) -> String {
        serde_json::to_string(&update_body(&handle(), result, &HashMap::new()).unwrap()).unwrap()
    }

    #[test]
    fn triggered_becomes_an_order_with_ids_only() {
        let body = br#"{"type":"assessment.triggered","companyId":900123,"triggeredAt":"2026-01-01T09:59:58Z","data":{"assessmentRequestId":41872}}"#;
        let InboundEvent::OrderReceived(order) =
            webhook_to_event(ASSESSMENT_TRIGGERED, body, at()).unwrap()
        else {
            panic!("not an order")
        };
        assert_eq!(order.tenant, Some(TenantId::new("900123")));
        assert_eq!(order.provider_order_id.as_deref(), Some("41872"));
        assert_eq!(order.package_id, "");
        assert_eq!(order.received_at, at());
        assert_eq!(order.context["assessment_request_id"], "41872");
        assert_eq!(order.context["company_id"], "900123");
    }

    /// The body is kept as its text, so text that is not UTF-8, even in a
    /// part the delivery skips, is refused as it is by every adapter.
    #[test]
    fn a_body_that_is_not_utf8_is_refused() {
        let body = b"{\"type\":\"assessment.triggered\",\"companyId\":\"9\",\"note\":\"\xff\",\"data\":{\"assessmentRequestId\":\"1\"}}";
        match webhook_to_event(ASSESSMENT_TRIGGERED, body, at()) {
            Err(e @ Error::Malformed { .. }) => assert_eq!(
                e.to_string(),
                "malformed payload at `.`: invalid UTF-8 at byte 55 of the body"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cancelled_becomes_a_cancellation() {
        let body = br#"{"type":"assessment.cancelled","companyId":"900123","data":{"assessmentRequestId":"41872"}}"#;
        let InboundEvent::OrderCancelled(c) =
            webhook_to_event(ASSESSMENT_CANCELLED, body, at()).unwrap()
        else {
            panic!("not a cancellation")
        };
        assert_eq!(c.order, OrderRef::provider("41872"));
        assert_eq!(c.tenant, Some(TenantId::new("900123")));
    }

    #[test]
    fn missing_and_bad_ids_name_the_field() {
        let cases: [(&[u8], &str); 8] = [
            (br#"{"type":"assessment.triggered","data":{"assessmentRequestId":"1"}}"#, "companyId"),
            (br#"{"type":"assessment.triggered","companyId":" ","data":{"assessmentRequestId":"1"}}"#, "companyId"),
            (br#"{"type":"assessment.triggered","companyId":"9\u0007","data":{"assessmentRequestId":"1"}}"#, "companyId"),
            (br#"{"type":" ","companyId":"9","data":{"assessmentRequestId":"1"}}"#, "type"),
            (br#"{"type":"assessment.triggered","companyId":"9"}"#, "data"),
            (br#"{"type":"assessment.triggered","companyId":"9","data":{}}"#, "data.assessmentRequestId"),
            (br#"{"type":"assessment.triggered","companyId":"9","data":{"assessmentRequestId":"a/b"}}"#, "data.assessmentRequestId"),
            (br#"{"companyId":"9","data":{"assessmentRequestId":"1"}}"#, "type"),
        ];
        for (body, path) in cases {
            match webhook_to_event(ASSESSMENT_TRIGGERED, body, at()) {
                Err(Error::Malformed { path: p, .. }) => assert_eq!(p, path),
                other => panic!("{path}: {other:?}"),
            }
        }
    }

    #[test]
    fn status_mapping_rows() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        assert_eq!(status_value(&r, &HashMap::new()).unwrap(), "completed");
        r.passed = Some(true);
        assert_eq!(status_value(&r, &HashMap::new()).unwrap(), "passed");
        r.passed = Some(false);
        assert_eq!(status_value(&r, &HashMap::new()).unwrap(), "failed");
        for s in [
            AssessmentStatus::Invited,
            AssessmentStatus::InProgress,
            AssessmentStatus::Cancelled,
            AssessmentStatus::Expired,
            AssessmentStatus::Error,
        ] {
            let r = AssessmentResult::with_status(s);
            let e = status_value(&r, &HashMap::new()).unwrap_err();
            assert!(matches!(e, Error::Config { .. }), "{s}: {e}");
            assert!(e.to_string().contains(s.as_str()), "{e}");
            let configured = HashMap::from([(s, "inProgress".to_owned())]);
            assert_eq!(status_value(&r, &configured).unwrap(), "inProgress");
        }
    }

    #[test]
    fn update_body_bytes() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.passed = Some(true);
        r.score = Some(Score::out_of(87.5, 100.0));
        r.grade = Some("Strong".into());
        r.summary = Some("Solid on algorithms.".into());
        r.report_url = Some("https://assess.example.com/r/asm_7Q2K9".parse().unwrap());
        assert_eq!(
            body(&r),
            r#"{"status":"passed","providerAssessmentId":"asm_7Q2K9","score":87.5,"verdict":"Strong","resultUrl":"https://assess.example.com/r/asm_7Q2K9","comments":"Solid on algorithms."}"#
        );
        let bare = AssessmentResult::with_status(AssessmentStatus::Completed);
        assert_eq!(
            body(&bare),
            r#"{"status":"completed","providerAssessmentId":"asm_7Q2K9"}"#
        );
    }

    #[test]
    fn http_result_urls_are_refused() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.report_url = Some("http://assess.example.com/r/1".parse().unwrap());
        let e = update_body(&handle(), &r, &HashMap::new()).unwrap_err();
        assert!(e.to_string().contains("https"), "{e}");
    }

    #[test]
    fn target_prefers_the_context() {
        assert_eq!(target_assessment(&handle()).unwrap(), "41872");
        let mut h = handle();
        h.context.clear();
        h.provider_order_id = Some(" 55 ".into());
        assert_eq!(target_assessment(&h).unwrap(), "55");
        h.provider_order_id = None;
        assert!(matches!(target_assessment(&h), Err(Error::Config { .. })));
    }

    #[test]
    fn enrichment_fills_the_order() {
        let InboundEvent::OrderReceived(order) = webhook_to_event(
            ASSESSMENT_TRIGGERED,
            br#"{"type":"assessment.triggered","companyId":"900123","data":{"assessmentRequestId":"41872"}}"#,
            at(),
        )
        .unwrap() else {
            panic!()
        };
        let raw = json!({"id":"41872","candidate":{"id":"c1","firstName":"Avery","lastName":"Quill","email":"avery.quill@example.com"},
            "requester":{"id":"u1","firstName":"Rae","lastName":"Lund","email":"rae.lund@example.org"},
            "jobOpening":{"id":"j1","title":"Backend Engineer"},"package":{"id":"rust-senior","name":"Rust (senior)"},
            "requestedAt":"2026-01-01T09:59:00Z"});
        let details: AssessmentDetails = serde_json::from_value(raw.clone()).unwrap();
        let order = enrich_order(*order, &details, RawJson::from_value(&raw)).unwrap();
        assert_eq!(order.package_id, "rust-senior");
        // the webhook and the details, each untouched
        assert_eq!(
            order.raw.get(),
            format!(
                r#"{{"webhook":{},"details":{}}}"#,
                r#"{"type":"assessment.triggered","companyId":"900123","data":{"assessmentRequestId":"41872"}}"#,
                serde_json::to_string(&raw).unwrap()
            )
        );
        assert_eq!(
            order.candidate.primary_email(),
            Some("avery.quill@example.com")
        );
        assert_eq!(
            order.job.as_ref().and_then(|j| j.name.as_deref()),
            Some("Backend Engineer")
        );
        assert_eq!(
            order.requested_by.as_ref().and_then(|p| p.email.as_deref()),
            Some("rae.lund@example.org")
        );
        let other: AssessmentDetails = serde_json::from_value(json!({"id":"9"})).unwrap();
        assert!(enrich_order(order, &other, RawJson::null()).is_err());
    }
}
