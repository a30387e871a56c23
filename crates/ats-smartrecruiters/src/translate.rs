//! Pure translation between SmartRecruiters' wire structs and the core model.
//!
//! ## Status mapping
//!
//! The result write (`PATCH /orders/{orderId}/results`) carries a `status`.
//! SmartRecruiters' list of values for the 2021 API could not be read
//! (**unconfirmed**); the values below are the upper-case names its older
//! assessment API used (`NEW`, `IN_PROGRESS`, `COMPLETED`), extended in the
//! same style:
//!
//! | core [`AssessmentStatus`] | `status` sent |
//! |---|---|
//! | `invited` | `IN_PROGRESS` |
//! | `in_progress` | `IN_PROGRESS` |
//! | `completed` | `COMPLETED` |
//! | `cancelled` | `CANCELLED` |
//! | `expired` | `EXPIRED` |
//! | `error` | `ERROR` |
//!
//! Inbound there is no status: an order always arrives as a new order.
//!
//! The score is sent as free text (`"81/100"`, or `"81"` without a
//! maximum), as SmartRecruiters' `AssessmentResult.score` is a string; the
//! summary becomes `description`, the report URL `resultUrl`.

use ats_core::codec::{
    check_result_items, decode_json_with_raw, json_number, non_blank, required_string,
};
use ats_core::{
    AssessmentOrder, AssessmentResult, AssessmentStatus, Candidate, Email, Error, Job, Package,
    PackagesRequest, Person, Phone, RawJson, Score,
};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::wire::{OrderRequest, PackageEntry, PackageList, ResultUpdate};

/// The adapter's name.
pub const PROVIDER: &str = "smartrecruiters";

/// The key of [`AssessmentOrder::context`] holding SmartRecruiters' order id.
pub const CONTEXT_ORDER_ID: &str = "order_id";
/// The key of [`AssessmentOrder::context`] holding the customer's company id.
pub const CONTEXT_COMPANY_ID: &str = "company_id";

/// `GET /packages` carries no body: it asks for the tenant's packages.
pub fn packages_request() -> PackagesRequest {
    PackagesRequest {
        provider: PROVIDER.to_owned(),
        tenant: None,
    }
}

/// Translates a `POST /packages/orders` body into an order.
///
/// Required: `orderId` (the result write needs it) and `packageId`.
/// Everything about the candidate and the job is optional.
pub fn order_to_core(body: &[u8], received_at: DateTime<Utc>) -> Result<AssessmentOrder, Error> {
    let (req, raw): (OrderRequest, RawJson) = decode_json_with_raw(body)?;
    let order_id = required_string(req.order_id, "orderId")?;
    let package_id = required_string(req.package_id, "packageId")?;
    let c = req.candidate.unwrap_or_default();
    let candidate = Candidate {
        id: non_blank(c.id),
        remote_id: None,
        first_name: non_blank(c.first_name),
        last_name: non_blank(c.last_name),
        preferred_name: None,
        emails: non_blank(c.email)
            .map(|address| Email {
                address,
                kind: None,
            })
            .into_iter()
            .collect(),
        phones: non_blank(c.phone_number)
            .map(|number| Phone { number, kind: None })
            .into_iter()
            .collect(),
        location: None,
        profile_url: None,
        resume_url: None,
    };
    let job = req.job.map(|j| Job {
        id: non_blank(j.id),
        name: non_blank(j.title),
        ..Job::default()
    });
    let requested_by = req.requester.map(|r| Person {
        id: non_blank(r.id),
        first_name: non_blank(r.first_name),
        last_name: non_blank(r.last_name),
        email: non_blank(r.email),
        roles: Vec::new(),
    });
    let mut context = Map::new();
    context.insert(CONTEXT_ORDER_ID.to_owned(), Value::String(order_id.clone()));
    if let Some(company) = non_blank(req.company_id) {
        context.insert(CONTEXT_COMPANY_ID.to_owned(), Value::String(company));
    }
    Ok(AssessmentOrder {
        provider: PROVIDER.to_owned(),
        tenant: None,
        provider_order_id: Some(order_id),
        package_id,
        package: None,
        candidate,
        application: None,
        job,
        requested_by,
        callback_url: None,
        received_at,
        context,
        extras: Map::new(),
        raw,
    })
}

/// Renders packages as the `GET /packages` answer.
pub fn package_list(packages: &[Package]) -> PackageList {
    PackageList {
        total_found: packages.len(),
        content: packages
            .iter()
            .map(|p| PackageEntry {
                id: p.id.clone(),
                name: p.name.clone(),
                description: p.description.clone(),
            })
            .collect(),
    }
}

/// The `status` sent for a core status (see the module docs).
pub fn sr_status(status: AssessmentStatus) -> &'static str {
    match status {
        AssessmentStatus::Invited | AssessmentStatus::InProgress => "IN_PROGRESS",
        AssessmentStatus::Completed => "COMPLETED",
        AssessmentStatus::Cancelled => "CANCELLED",
        AssessmentStatus::Expired => "EXPIRED",
        AssessmentStatus::Error => "ERROR",
    }
}

/// A score as SmartRecruiters' free-text `score`: `"81/100"`, or `"81"`.
pub fn score_text(score: &Score) -> Option<String> {
    let value = json_number(score.value)?;
    Some(match score.max.and_then(json_number) {
        Some(max) => format!("{value}/{max}"),
        None => value.to_string(),
    })
}

/// Renders a result as the `PATCH /orders/{orderId}/results` body.
///
/// Refuses ([`Error::Config`]) values under `extensions.smartrecruiters`
/// (this adapter reads none) and a score that is not a finite number.
pub fn result_update(result: &AssessmentResult) -> Result<ResultUpdate, Error> {
    check_result_items(result)?;
    if result.extensions.contains_key(PROVIDER) {
        return Err(Error::config(
            "extensions.smartrecruiters: this adapter reads no provider-specific result fields",
        ));
    }
    let score = match &result.score {
        Some(s) => Some(
            score_text(s)
                .ok_or_else(|| Error::config("the score is not a finite number".to_owned()))?,
        ),
        None => None,
    };
    Ok(ResultUpdate {
        status: sr_status(result.status).to_owned(),
        title: result.grade.clone(),
        description: result
            .summary
            .clone()
            .or_else(|| result.status_reason.clone()),
        passed: result.passed,
        score,
        result_url: result.report_url.as_ref().map(|u| u.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn order_fields() {
        let body = br#"{"orderId":"ord-1","packageId":"pkg-7","companyId":"cmp-9",
            "candidate":{"id":"cand-3","firstName":"Maya","lastName":"Lindqvist",
                         "email":"maya@example.com","phoneNumber":"+46 70 000 00 00"},
            "job":{"id":"job-4","title":"Backend Engineer"},
            "requester":{"id":"usr-2","email":"rec@example.org"}}"#;
        let o = order_to_core(body, at()).unwrap();
        assert_eq!(o.provider_order_id.as_deref(), Some("ord-1"));
        assert_eq!(o.package_id, "pkg-7");
        assert_eq!(o.candidate.id.as_deref(), Some("cand-3"));
        assert_eq!(o.candidate.primary_email(), Some("maya@example.com"));
        assert_eq!(o.candidate.phones[0].number, "+46 70 000 00 00");
        let job = o.job.unwrap();
        assert_eq!(job.id.as_deref(), Some("job-4"));
        assert_eq!(job.name.as_deref(), Some("Backend Engineer"));
        assert_eq!(
            o.requested_by.unwrap().email.as_deref(),
            Some("rec@example.org")
        );
        assert_eq!(o.context[CONTEXT_ORDER_ID], "ord-1");
        assert_eq!(o.context[CONTEXT_COMPANY_ID], "cmp-9");
        assert_eq!(o.received_at, at());
    }

    #[test]
    fn order_aliases_and_required_fields() {
        let o = order_to_core(br#"{"id":"o","assessmentPackageId":"p"}"#, at()).unwrap();
        assert_eq!(o.provider_order_id.as_deref(), Some("o"));
        assert_eq!(o.package_id, "p");
        assert!(o.candidate.emails.is_empty());
        let e = order_to_core(br#"{"packageId":"p"}"#, at()).unwrap_err();
        assert!(e.to_string().contains("orderId"), "{e}");
        let e = order_to_core(br#"{"orderId":"o","packageId":"  "}"#, at()).unwrap_err();
        assert!(e.to_string().contains("packageId"), "{e}");
        let e = order_to_core(br#"{"orderId":5,"packageId":"p"}"#, at()).unwrap_err();
        assert!(e.to_string().contains("orderId"), "{e}");
    }

    #[test]
    fn status_table() {
        use AssessmentStatus::*;
        assert_eq!(sr_status(Invited), "IN_PROGRESS");
        assert_eq!(sr_status(InProgress), "IN_PROGRESS");
        assert_eq!(sr_status(Completed), "COMPLETED");
        assert_eq!(sr_status(Cancelled), "CANCELLED");
        assert_eq!(sr_status(Expired), "EXPIRED");
        assert_eq!(sr_status(Error), "ERROR");
    }

    #[test]
    fn score_texts() {
        assert_eq!(
            score_text(&Score::out_of(81.0, 100.0)).as_deref(),
            Some("81/100")
        );
        assert_eq!(score_text(&Score::bare(7.5)).as_deref(), Some("7.5"));
        assert_eq!(score_text(&Score::bare(f64::NAN)), None);
    }

    #[test]
    fn result_body_bytes() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.score = Some(Score::out_of(81.0, 100.0));
        r.passed = Some(true);
        r.summary = Some("Strong".into());
        r.report_url = url::Url::parse("https://vendor.example.com/r/1").ok();
        let body = serde_json::to_string(&result_update(&r).unwrap()).unwrap();
        assert_eq!(
            body,
            r#"{"status":"COMPLETED","description":"Strong","passed":true,"score":"81/100","resultUrl":"https://vendor.example.com/r/1"}"#
        );
        let bare =
            result_update(&AssessmentResult::with_status(AssessmentStatus::Expired)).unwrap();
        assert_eq!(
            serde_json::to_string(&bare).unwrap(),
            r#"{"status":"EXPIRED"}"#
        );
    }

    #[test]
    fn refuses_extensions_and_nan() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.extensions.insert(PROVIDER.into(), Value::Null);
        assert!(result_update(&r).is_err());
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.score = Some(Score::bare(f64::INFINITY));
        assert!(result_update(&r).is_err());
    }

    #[test]
    fn package_list_shape() {
        let mut p = Package::new("pkg-7", "Rust test");
        p.description = Some("90 minutes".into());
        let body = serde_json::to_string(&package_list(&[p])).unwrap();
        assert_eq!(
            body,
            r#"{"totalFound":1,"content":[{"id":"pkg-7","name":"Rust test","description":"90 minutes"}]}"#
        );
    }
}
