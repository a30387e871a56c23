//! Pure translation between Knit's webhook and passthrough formats and the
//! core model.
//!
//! ## Orders (`record.new`)
//!
//! Knit relays partner-model ATSs: the ATS calls Knit, and Knit puts the
//! ATS's own request in `candidateAssessment.originData` next to its unified
//! fields. The order is read from `originData` when it is recognisable, with
//! the ATS's own adapter, so it is the same order a direct integration gives:
//!
//! | `originData` has | read with | `context.ats` |
//! |---|---|---|
//! | `assessment_type_id` (Ashby `assessment.start`) | [`ats_ashby::start_value_to_order`] | `ashby` |
//! | `partner_test_id` (Greenhouse `send_test`) | [`ats_greenhouse::translate::send_test_to_order`] | `greenhouse` |
//! | neither, or absent | Knit's unified fields ([`unified_order`]) | – |
//!
//! When the ATS's body cannot be read (the ATS adapter refuses it), the
//! unified fields are used instead. Either way the order then gets
//! `provider` `knit`, `provider_order_id` = Knit's assessment id
//! (`candidateAssessment.id`, else `recordId`), `tenant` = the
//! `X-Knit-Integration-Id` header, `raw` = the whole webhook body and
//! `context` = `{"ats": …, "knit_assessment_id": …}` (what
//! [`passthrough_update`] needs). A location, candidate, application or job
//! id missing from the ATS's body is filled in from the unified fields.
//!
//! `record.deleted` becomes a cancellation by Knit's id (the vendor's own id
//! is never given to the ATS, which talks to Knit). Events of another
//! `syncDataType` than `ats_assessments`, and any other `eventType`, are
//! [`Ignored`].
//!
//! ## Status mapping
//!
//! Knit's `candidateAssessment.status` has no documented values; it is not
//! read (it stays in `raw`). Results go to the ATS in the ATS's own terms:
//!
//! | `context.ats` | result write-back | status mapping |
//! |---|---|---|
//! | `ashby` | `POST /passthrough` with Ashby's `assessment.update` body ([`ats_ashby::update_body`]) | Ashby's (`invited` → `Invited`, `in_progress` → `Started`, `completed` → `Completed` + `assessment_result`, `cancelled` / `expired` / `error` → `Cancelled` / `Expired` / `Error` + `cancelled_reason`; see `ats_ashby::translate`) |
//! | `greenhouse` | none: [`Error::Unsupported`] | – (Greenhouse reads results from the `test_status` endpoint that Knit hosts, and Knit documents no API to supply them) |
//! | absent | none: [`Error::Unsupported`] | – |
//!
//! Knit → core: `record.new` → order received, `record.deleted` → cancelled;
//! Knit sends no assessment status of its own.

use ats_core::codec::{at_most_opt, non_blank_str};
use ats_core::codec::{decode_json, decode_json_with_raw, required};
use ats_core::{
    Application, AssessmentOrder, AssessmentResult, Cancellation, Candidate, Email, Error, Ignored,
    InboundEvent, Job, Location, OrderHandle, OrderRef, OrderedPackage, Phone, RawJson, TenantId,
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use url::Url;

use crate::wire::{
    AssessmentPackage, CandidateAssessment, KnitCandidate, PassthroughRequest, Webhook,
};

/// The adapter's name.
pub const PROVIDER: &str = "knit";
/// The `syncDataType` of assessment orders.
pub const ATS_ASSESSMENTS: &str = "ats_assessments";
/// The `context` key naming the ATS behind Knit (`ashby`, `greenhouse`).
pub const CONTEXT_ATS: &str = "ats";
/// The `context` key holding Knit's assessment id.
pub const CONTEXT_KNIT_ID: &str = "knit_assessment_id";
/// The path of Ashby's update call, relative to Knit's Ashby base URL.
pub const ASHBY_UPDATE_PATH: &str = "/assessment.update";

/// The ATS whose request Knit relayed, as recognised from `originData`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// An Ashby `assessment.start` body.
    Ashby,
    /// A Greenhouse `send_test` body.
    Greenhouse,
}

impl Origin {
    /// The name written in `context.ats`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ashby => "ashby",
            Self::Greenhouse => "greenhouse",
        }
    }

    /// Recognises the ATS from its request body (`originData`'s JSON text):
    /// the key only its request has.
    pub fn of(origin_data: &RawValue) -> Option<Self> {
        #[derive(Deserialize)]
        struct Keys {
            #[serde(default, deserialize_with = "seen")]
            assessment_type_id: bool,
            #[serde(default, deserialize_with = "seen")]
            partner_test_id: bool,
        }
        fn seen<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
            IgnoredAny::deserialize(d).map(|_| true)
        }
        if !origin_data.get().starts_with('{') {
            return None;
        }
        let keys: Keys = serde_json::from_str(origin_data.get()).ok()?;
        if keys.assessment_type_id {
            Some(Self::Ashby)
        } else if keys.partner_test_id {
            Some(Self::Greenhouse)
        } else {
            None
        }
    }
}

/// The `eventType` of a webhook body, without checking anything else.
pub fn event_type(body: &[u8]) -> Result<Option<String>, Error> {
    #[derive(Deserialize)]
    struct Head {
        #[serde(default, rename = "eventType")]
        event_type: Option<Value>,
    }
    // read `eventType` and skip the rest; anything else (not an object, or
    // not JSON: then the error names the deepest field) through a tree.
    // (Equivalent mutant: a guard always false sends objects through the
    // tree too, slower but with the same answer.)
    let event_type = match serde_json::from_slice::<Head>(body) {
        Ok(head) if body.trim_ascii_start().starts_with(b"{") => head.event_type,
        _ => decode_json::<Value>(body)?.get("eventType").cloned(),
    };
    Ok(match event_type {
        Some(Value::String(name)) => Some(name),
        _ => None,
    })
}

/// The unified candidate's e-mail addresses and phone numbers stay within
/// [`ats_core::codec::MAX_ITEMS`], whichever body the order is read from.
fn candidate_items(assessment: &CandidateAssessment) -> Result<(), Error> {
    let Some(c) = &assessment.candidate else {
        return Ok(());
    };
    // literal paths: a `format!` here would cost an allocation per order
    at_most_opt(
        c.emails.as_ref(),
        "eventData.candidateAssessment.candidate.emails",
    )?;
    at_most_opt(
        c.phones.as_ref(),
        "eventData.candidateAssessment.candidate.phones",
    )
}

/// Translates a `record.new` webhook body into an order (or [`Ignored`]
/// for another `syncDataType`). See the module docs.
pub fn record_new(
    body: &[u8],
    tenant: Option<TenantId>,
    received_at: DateTime<Utc>,
) -> Result<InboundEvent, Error> {
    let (webhook, raw): (Webhook, RawJson) = decode_json_with_raw(body)?;
    if let Some(ignored) = other_data_type(&webhook, "record.new", tenant.as_ref()) {
        return Ok(InboundEvent::Ignored(ignored));
    }
    let assessment = webhook
        .event_data
        .as_ref()
        .and_then(|d| d.candidate_assessment.as_ref())
        .ok_or_else(|| Error::missing("eventData.candidateAssessment"))?;
    candidate_items(assessment)?;
    let knit_id = required(
        assessment.id.as_deref().or(webhook.record_id.as_deref()),
        "eventData.candidateAssessment.id",
    )?
    .to_owned();
    let (origin, from_origin) = match assessment.origin_data.as_deref() {
        None => (None, None),
        Some(data) => {
            let body = data.get().as_bytes();
            // Ashby's order first, read once: one that translates has
            // `assessment_type_id`, the key `Origin::of` looks for first, so
            // the body need not be read to recognise it
            match ats_ashby::relayed_start_to_order(body, received_at) {
                Ok(order) => (Some(Origin::Ashby), Some(order)),
                Err(_) => {
                    let origin = Origin::of(data);
                    let order = match origin {
                        Some(Origin::Greenhouse) => {
                            ats_greenhouse::translate::send_test_to_order(body, received_at).ok()
                        }
                        _ => None,
                    };
                    (origin, order)
                }
            }
        }
    };
    let mut order = match from_origin {
        Some(order) => fill_from_unified(order, assessment),
        None => unified_order(assessment, received_at)?,
    };
    order.provider = PROVIDER.to_owned();
    order.tenant = tenant;
    order.provider_order_id = Some(knit_id.clone());
    // Knit has no candidate, application or job ids of its own: the ids it
    // relays are the ATS's
    if order.candidate.remote_id.is_none() {
        order.candidate.remote_id = order.candidate.id.clone();
    }
    if let Some(a) = order.application.as_mut().filter(|a| a.remote_id.is_none()) {
        a.remote_id = a.id.clone();
    }
    if let Some(j) = order.job.as_mut().filter(|j| j.remote_id.is_none()) {
        j.remote_id = j.id.clone();
    }
    order.received_at = received_at;
    order.raw = raw;
    let mut context = Map::new();
    if let Some(origin) = origin {
        context.insert(CONTEXT_ATS.to_owned(), Value::from(origin.as_str()));
    }
    context.insert(CONTEXT_KNIT_ID.to_owned(), Value::from(knit_id));
    order.context = context;
    Ok(InboundEvent::OrderReceived(Box::new(order)))
}

/// An order from Knit's unified `candidateAssessment` fields alone.
///
/// Required: `assessmentPackage.id`. The candidate's e-mail addresses and
/// phone numbers keep Knit's `type` as their kind; a free-text `location`
/// becomes [`Location::text`]. `links` (unlabelled URLs), the package's
/// name / description / type and `metaData` go to `extras`. A `callbackUrl`
/// that is not an absolute URL is left out (it stays in `raw`).
pub fn unified_order(
    assessment: &CandidateAssessment,
    received_at: DateTime<Utc>,
) -> Result<AssessmentOrder, Error> {
    let package = assessment.assessment_package.as_ref();
    let package_id = required(
        package.and_then(|p| p.id.as_deref()),
        "eventData.candidateAssessment.assessmentPackage.id",
    )?
    .to_owned();
    let empty = KnitCandidate {
        id: None,
        first_name: None,
        last_name: None,
        emails: None,
        phones: None,
        links: None,
        location: None,
    };
    let c = assessment.candidate.as_ref().unwrap_or(&empty);
    candidate_items(assessment)?;
    let candidate = Candidate {
        id: non_blank_owned(c.id.as_deref()),
        remote_id: None,
        first_name: non_blank_owned(c.first_name.as_deref()),
        last_name: non_blank_owned(c.last_name.as_deref()),
        preferred_name: None,
        emails: c
            .emails
            .iter()
            .flatten()
            .filter_map(|e| {
                Some(Email {
                    address: non_blank_owned(e.email.as_deref())?,
                    kind: non_blank_owned(e.email_type.as_deref()),
                })
            })
            .collect(),
        phones: c
            .phones
            .iter()
            .flatten()
            .filter_map(|p| {
                Some(Phone {
                    number: non_blank_owned(p.phone_number.as_deref())?,
                    kind: non_blank_owned(p.phone_type.as_deref()),
                })
            })
            .collect(),
        location: c.location.as_ref().and_then(location),
        profile_url: None,
        resume_url: None,
    };
    let mut extras = Map::new();
    let links: Vec<Value> = c
        .links
        .iter()
        .flatten()
        .filter_map(|l| non_blank_owned(l.as_deref()).map(Value::from))
        .collect();
    if !links.is_empty() {
        extras.insert("links".to_owned(), Value::Array(links));
    }
    if let Some(meta) = package
        .and_then(|p| p.meta_data.as_ref())
        .filter(|m| !m.is_null())
    {
        extras.insert(
            "assessment_package".to_owned(),
            serde_json::json!({ "metaData": meta }),
        );
    }
    if let Some(meta) = assessment.meta_data.as_ref().filter(|m| !m.is_null()) {
        extras.insert("meta_data".to_owned(), meta.clone());
    }
    Ok(AssessmentOrder {
        provider: PROVIDER.to_owned(),
        tenant: None,
        provider_order_id: non_blank_owned(assessment.id.as_deref()),
        package_id,
        package: package.and_then(ordered_package),
        candidate,
        application: non_blank_owned(assessment.application_id.as_deref()).map(|id| Application {
            id: Some(id),
            ..Application::default()
        }),
        job: non_blank_owned(assessment.job_id.as_deref()).map(|id| Job {
            id: Some(id),
            ..Job::default()
        }),
        requested_by: None,
        callback_url: assessment
            .callback_url
            .as_deref()
            .and_then(|u| Url::parse(u.trim()).ok()),
        received_at,
        context: Map::new(),
        extras,
        raw: RawJson::null(),
    })
}

/// The package as Knit describes it (`assessmentPackage` `name`,
/// `description`, `type`), when it says anything beyond the id.
fn ordered_package(p: &AssessmentPackage) -> Option<OrderedPackage> {
    let described = OrderedPackage {
        name: non_blank_owned(p.name.as_deref().map(str::trim)),
        description: non_blank_owned(p.description.as_deref()),
        kind: non_blank_owned(p.package_type.as_deref()),
    };
    (!described.is_empty()).then_some(described)
}

/// Fills what the ATS's body lacks from Knit's unified fields: ids, the
/// location, the e-mail addresses' kinds and the package's description.
fn fill_from_unified(
    mut order: AssessmentOrder,
    assessment: &CandidateAssessment,
) -> AssessmentOrder {
    if let Some(c) = &assessment.candidate {
        if order.candidate.id.is_none() {
            order.candidate.id = non_blank_owned(c.id.as_deref());
        }
        if order.candidate.location.is_none() {
            order.candidate.location = c.location.as_ref().and_then(location);
        }
        for email in order
            .candidate
            .emails
            .iter_mut()
            .filter(|e| e.kind.is_none())
        {
            email.kind = c
                .emails
                .iter()
                .flatten()
                .find(|k| {
                    k.email
                        .as_deref()
                        .is_some_and(|a| a.trim().eq_ignore_ascii_case(&email.address))
                })
                .and_then(|k| non_blank_owned(k.email_type.as_deref()));
        }
    }
    if order.package.is_none() {
        order.package = assessment
            .assessment_package
            .as_ref()
            .and_then(ordered_package);
    }
    if let Some(id) = non_blank_owned(assessment.application_id.as_deref()) {
        let application = order.application.get_or_insert_with(Application::default);
        if application.id.is_none() {
            application.id = Some(id);
        }
    }
    if let Some(id) = non_blank_owned(assessment.job_id.as_deref()) {
        let job = order.job.get_or_insert_with(Job::default);
        if job.id.is_none() {
            job.id = Some(id);
        }
    }
    order
}

/// Translates a `record.deleted` webhook body into a cancellation by Knit's
/// assessment id (`candidateAssessment.id`, else `recordId`, else
/// `originData.assessment_id`). Nearly every field may be `null`.
pub fn record_deleted(
    body: &[u8],
    tenant: Option<TenantId>,
    received_at: DateTime<Utc>,
) -> Result<InboundEvent, Error> {
    let (webhook, raw): (Webhook, RawJson) = decode_json_with_raw(body)?;
    if let Some(ignored) = other_data_type(&webhook, "record.deleted", tenant.as_ref()) {
        return Ok(InboundEvent::Ignored(ignored));
    }
    let assessment = webhook
        .event_data
        .as_ref()
        .and_then(|d| d.candidate_assessment.as_ref());
    let origin: Option<Value> = assessment
        .and_then(|a| a.origin_data.as_deref())
        .and_then(|o| serde_json::from_str(o.get()).ok());
    let from_origin = origin
        .as_ref()
        .and_then(|o| o.get("assessment_id"))
        .and_then(Value::as_str);
    let id = required(
        assessment
            .and_then(|a| non_blank_str(a.id.as_deref()))
            .or_else(|| non_blank_str(webhook.record_id.as_deref()))
            .or(from_origin),
        "eventData.candidateAssessment.id",
    )?;
    Ok(InboundEvent::OrderCancelled(Cancellation {
        provider: PROVIDER.to_owned(),
        tenant,
        order: OrderRef::provider(id),
        reason: None,
        received_at,
        raw,
    }))
}

/// Any other event type: read (it must be a Knit webhook) and ignored.
pub fn other_event(body: &[u8], tenant: Option<TenantId>) -> Result<InboundEvent, Error> {
    let webhook: Webhook = decode_json(body)?;
    let event_type = required(webhook.event_type.as_deref(), "eventType")?;
    Ok(InboundEvent::Ignored(Ignored {
        provider: PROVIDER.to_owned(),
        tenant,
        event_type: event_type.to_owned(),
        reason: "not an assessment order event".to_owned(),
    }))
}

fn other_data_type(webhook: &Webhook, event: &str, tenant: Option<&TenantId>) -> Option<Ignored> {
    let data_type = webhook.sync_data_type.as_deref()?;
    (data_type != ATS_ASSESSMENTS).then(|| Ignored {
        provider: PROVIDER.to_owned(),
        tenant: tenant.cloned(),
        event_type: event.to_owned(),
        reason: format!("syncDataType `{data_type}` is not {ATS_ASSESSMENTS}"),
    })
}

/// Builds the passthrough call that writes a result to the order's ATS
/// (see the module docs): for Ashby, Ashby's `assessment.update` body for
/// Knit's assessment id, with `at` as its timestamp.
pub fn passthrough_update(
    handle: &OrderHandle,
    result: &AssessmentResult,
    at: DateTime<Utc>,
) -> Result<PassthroughRequest, Error> {
    match handle.context.get(CONTEXT_ATS).and_then(Value::as_str) {
        Some("ashby") => {
            let id = handle
                .provider_order_id
                .as_deref()
                .or_else(|| handle.context.get(CONTEXT_KNIT_ID).and_then(Value::as_str))
                .filter(|id| !id.trim().is_empty())
                .ok_or_else(|| {
                    Error::config("the order handle has no Knit assessment id (provider_order_id)")
                })?;
            let body = ats_ashby::update_body(id, result, at)?;
            let text = serde_json::to_string(&body)
                .map_err(|e| Error::config(format!("cannot serialize the Ashby update: {e}")))?;
            Ok(PassthroughRequest {
                method: "POST".to_owned(),
                path: ASHBY_UPDATE_PATH.to_owned(),
                body: Some(text),
            })
        }
        Some("greenhouse") => Err(Error::unsupported(
            PROVIDER,
            "writing results for Greenhouse orders: Greenhouse reads them from the test_status \
             endpoint Knit hosts, and Knit documents no API through which the vendor supplies them",
        )),
        Some(other) => Err(Error::unsupported(
            PROVIDER,
            format!("writing results to `{other}` through Knit"),
        )),
        None => Err(Error::unsupported(
            PROVIDER,
            "writing results for an order whose ATS is unknown (the webhook carried no \
             recognisable originData)",
        )),
    }
}

fn location(value: &Value) -> Option<Location> {
    let text = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .and_then(|s| non_blank_owned(Some(s)))
    };
    let l = match value {
        Value::String(s) => Location {
            text: non_blank_owned(Some(s)),
            ..Location::default()
        },
        Value::Object(_) => Location {
            text: None,
            address_lines: Vec::new(),
            city: text("city"),
            region: text("state").or_else(|| text("region")),
            country: text("country"),
            postal_code: text("zipCode").or_else(|| text("postalCode")),
        },
        _ => return None,
    };
    (!l.is_empty()).then_some(l)
}
fn non_blank_owned(s: Option<&str>) -> Option<String> {
    non_blank_str(s).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::{AssessmentStatus, Score};
    use serde_json::json;

    fn at() -> DateTime<Utc> {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    fn tenant() -> Option<TenantId> {
        Some(TenantId::new("int_1"))
    }

    fn ashby_webhook() -> Value {
        json!({
            "eventType": "record.new",
            "eventData": {"candidateAssessment": {
                "applicationId": "app_1",
                "assessmentPackage": {"description": null, "id": "pkg_456", "metaData": null, "name": null, "type": null},
                "callbackUrl": null,
                "candidate": {"emails": [{"email": "alex@example.com", "type": "PRIMARY"}],
                              "firstName": "Alex", "id": "cand_1", "lastName": "Chen",
                              "links": null, "location": "San Francisco, CA", "phones": null},
                "id": "ats_ass_1",
                "jobId": "job_1",
                "metaData": null,
                "originData": {
                    "application": {"ashby_id": "app_1", "status": "IN_REVIEW"},
                    "assessment_type_id": "pkg_456",
                    "candidate": {"ashby_id": "cand_1", "email": "alex@example.com",
                                  "first_name": "Alex", "last_name": "Chen"},
                    "job": {"ashby_id": "job_1", "name": "Frontend Engineer", "req_id": "REQ-7"}
                }
            }},
            "syncDataType": "ats_assessments"
        })
    }

    fn order(event: InboundEvent) -> AssessmentOrder {
        match event {
            InboundEvent::OrderReceived(o) => *o,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ashby_origin_is_read_with_the_ashby_adapter() {
        let body = ashby_webhook();
        let o = order(record_new(body.to_string().as_bytes(), tenant(), at()).unwrap());
        assert_eq!(o.provider, "knit");
        assert_eq!(o.tenant, tenant());
        assert_eq!(o.provider_order_id.as_deref(), Some("ats_ass_1"));
        assert_eq!(o.package_id, "pkg_456");
        assert_eq!(o.candidate.id.as_deref(), Some("cand_1"));
        // the Ashby body has no location; Knit's unified field fills it
        assert_eq!(
            o.candidate.location.unwrap().text.as_deref(),
            Some("San Francisco, CA")
        );
        assert_eq!(o.job.unwrap().requisition_id.as_deref(), Some("REQ-7"));
        assert_eq!(o.application.unwrap().status.as_deref(), Some("IN_REVIEW"));
        assert_eq!(
            Value::Object(o.context),
            json!({"ats": "ashby", "knit_assessment_id": "ats_ass_1"})
        );
        assert_eq!(o.raw, body);
    }

    #[test]
    fn package_email_kind_and_ats_ids_survive_the_ats_body() {
        let mut body = ashby_webhook();
        body["eventData"]["candidateAssessment"]["assessmentPackage"] = json!({
            "description": "90 minutes, React", "id": "pkg_456", "metaData": null,
            "name": " Frontend (React) ", "type": "SKILLS_TEST"
        });
        body["eventData"]["candidateAssessment"]["candidate"]["emails"] =
            json!([{"email": "ALEX@example.com", "type": "PRIMARY"}]);
        let o = order(record_new(body.to_string().as_bytes(), tenant(), at()).unwrap());
        assert_eq!(
            o.package,
            Some(OrderedPackage {
                name: Some("Frontend (React)".into()),
                description: Some("90 minutes, React".into()),
                kind: Some("SKILLS_TEST".into()),
            })
        );
        assert_eq!(
            o.candidate.emails,
            vec![Email {
                address: "alex@example.com".into(),
                kind: Some("PRIMARY".into())
            }]
        );
        assert_eq!(o.candidate.remote_id.as_deref(), Some("cand_1"));
        assert_eq!(o.application.unwrap().remote_id.as_deref(), Some("app_1"));
        assert_eq!(o.job.unwrap().remote_id.as_deref(), Some("job_1"));
        assert!(o.extras.is_empty(), "{:?}", o.extras);
    }

    #[test]
    fn unreadable_origin_falls_back_to_unified_fields() {
        let mut body = ashby_webhook();
        // the Ashby adapter requires a candidate object
        body["eventData"]["candidateAssessment"]["originData"]["candidate"] = json!("x");
        let o = order(record_new(body.to_string().as_bytes(), tenant(), at()).unwrap());
        assert_eq!(o.package_id, "pkg_456");
        assert_eq!(
            o.candidate.emails,
            vec![Email {
                address: "alex@example.com".into(),
                kind: Some("PRIMARY".into())
            }]
        );
        assert_eq!(o.context["ats"], "ashby");
    }

    #[test]
    fn an_origin_with_ashbys_key_is_ashbys_even_when_greenhouse_could_read_it() {
        // `assessment_type_id` blank: Ashby's adapter refuses it; the body
        // would pass for a Greenhouse `send_test`, but Ashby's key decides
        let body = json!({
            "eventType": "record.new",
            "eventData": {"candidateAssessment": {
                "id": "ats_ass_4",
                "assessmentPackage": {"id": "pkg_9"},
                "candidate": {"emails": [{"email": "ada@example.com", "type": null}]},
                "originData": {
                    "assessment_type_id": " ",
                    "partner_test_id": "sql-45",
                    "candidate": {"email": "tomas@example.com",
                                  "greenhouse_profile_url": "https://app.greenhouse.io/people/302918774"}
                }
            }}
        });
        let o = order(record_new(body.to_string().as_bytes(), tenant(), at()).unwrap());
        assert_eq!(o.context["ats"], "ashby");
        // read from Knit's unified fields, not as a Greenhouse order
        assert_eq!(o.package_id, "pkg_9");
        assert_eq!(o.candidate.id, None);
        assert_eq!(o.candidate.emails[0].address, "ada@example.com");
        // the order keeps Knit's whole body
        assert_eq!(o.raw.to_value().unwrap(), body);
    }

    #[test]
    fn greenhouse_origin_is_read_with_the_greenhouse_adapter() {
        let body = json!({
            "eventType": "record.new",
            "eventData": {"candidateAssessment": {
                "id": "ats_ass_2", "applicationId": "410337265", "jobId": null,
                "assessmentPackage": {"id": "sql-45"},
                "callbackUrl": "https://app.greenhouse.io/integrations/testing_partners/take_home_tests/88213",
                "originData": {
                    "candidate": {"email": "tomas@example.com", "first_name": "Tomas",
                                  "greenhouse_profile_url": "https://app.greenhouse.io/people/302918774?application_id=410337265",
                                  "last_name": "Okafor"},
                    "partner_test_id": "sql-45",
                    "url": "https://app.greenhouse.io/integrations/testing_partners/take_home_tests/88213"
                }
            }}
        });
        let o = order(record_new(body.to_string().as_bytes(), tenant(), at()).unwrap());
        assert_eq!(o.provider_order_id.as_deref(), Some("ats_ass_2"));
        assert_eq!(o.candidate.id.as_deref(), Some("302918774"));
        assert_eq!(
            o.callback_url.unwrap().as_str(),
            "https://app.greenhouse.io/integrations/testing_partners/take_home_tests/88213"
        );
        assert_eq!(o.context["ats"], "greenhouse");
    }

    #[test]
    fn unified_fields_alone() {
        let body = json!({
            "eventType": "record.new",
            "eventData": {"candidateAssessment": {
                "id": "ats_ass_3", "applicationId": 77, "jobId": "j",
                "assessmentPackage": {"id": "p", "name": "Rust", "type": "SKILLS_TEST"},
                "candidate": {"firstName": "Ada", "emails": [{"email": "ada@example.com", "type": null}, {"email": " "}],
                              "phones": [{"phoneNumber": "+1 555 0100", "type": "WORK"}],
                              "links": ["https://files.example.com/cv.pdf", null],
                              "location": {"city": "Lyon", "country": "FR"}},
                "callbackUrl": "not a url"
            }}
        });
        let o = order(record_new(body.to_string().as_bytes(), tenant(), at()).unwrap());
        assert_eq!(o.package_id, "p");
        assert_eq!(o.application.unwrap().id.as_deref(), Some("77"));
        assert_eq!(o.candidate.emails.len(), 1);
        assert_eq!(o.candidate.phones[0].kind.as_deref(), Some("WORK"));
        let loc = o.candidate.location.unwrap();
        assert_eq!(
            (loc.city.as_deref(), loc.country.as_deref()),
            (Some("Lyon"), Some("FR"))
        );
        assert_eq!(o.callback_url, None);
        assert_eq!(
            Value::Object(o.extras),
            json!({"links": ["https://files.example.com/cv.pdf"]})
        );
        assert_eq!(
            o.package,
            Some(OrderedPackage {
                name: Some("Rust".into()),
                description: None,
                kind: Some("SKILLS_TEST".into()),
            })
        );
        assert_eq!(o.job.unwrap().remote_id.as_deref(), Some("j"));
        assert_eq!(
            Value::Object(o.context),
            json!({"knit_assessment_id": "ats_ass_3"})
        );
    }

    #[test]
    fn unified_meta_data_of_package_and_assessment_go_to_extras() {
        let body = json!({
            "eventType": "record.new",
            "eventData": {"candidateAssessment": {
                "id": "ats_ass_4",
                "assessmentPackage": {"id": "p", "metaData": {"durationMinutes": 90}},
                "metaData": {"source": "career_site", "attempt": 2}
            }}
        });
        let o = order(record_new(body.to_string().as_bytes(), tenant(), at()).unwrap());
        assert_eq!(
            Value::Object(o.extras),
            json!({
                "assessment_package": {"metaData": {"durationMinutes": 90}},
                "meta_data": {"source": "career_site", "attempt": 2}
            })
        );
        // JSON nulls add nothing
        let body = json!({
            "eventType": "record.new",
            "eventData": {"candidateAssessment": {
                "id": "ats_ass_5",
                "assessmentPackage": {"id": "p", "metaData": null},
                "metaData": null
            }}
        });
        let o = order(record_new(body.to_string().as_bytes(), tenant(), at()).unwrap());
        assert!(o.extras.is_empty(), "{:?}", o.extras);
    }

    #[test]
    fn required_fields_are_named() {
        let e = record_new(
            br#"{"eventType":"record.new","eventData":{"candidateAssessment":{"id":"a"}}}"#,
            None,
            at(),
        )
        .unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "eventData.candidateAssessment.assessmentPackage.id"),
            "{e}"
        );
        let e = record_new(br#"{"eventType":"record.new","eventData":{"candidateAssessment":{"assessmentPackage":{"id":"p"}}}}"#, None, at()).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "eventData.candidateAssessment.id"),
            "{e}"
        );
        let e = record_new(
            br#"{"eventType":"record.new","eventData":null}"#,
            None,
            at(),
        )
        .unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "eventData.candidateAssessment"),
            "{e}"
        );
        let e = record_new(br#"{"eventType":"record.new","eventData":{"candidateAssessment":{"candidate":{"emails":{}}}}}"#, None, at()).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "eventData.candidateAssessment.candidate.emails"),
            "{e}"
        );
    }

    #[test]
    fn deletions_cope_with_nulls() {
        let c = |v: Value| match record_deleted(v.to_string().as_bytes(), tenant(), at()).unwrap() {
            InboundEvent::OrderCancelled(c) => c.order,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            c(
                json!({"eventType": "record.deleted", "eventData": {"candidateAssessment": {"id": "a1", "candidate": null}}})
            ),
            OrderRef::provider("a1")
        );
        assert_eq!(
            c(json!({"eventType": "record.deleted", "eventData": null, "recordId": "a2"})),
            OrderRef::provider("a2")
        );
        assert_eq!(
            c(
                json!({"eventType": "record.deleted", "eventData": {"candidateAssessment": {"id": null, "originData": {"assessment_id": "a3"}}}})
            ),
            OrderRef::provider("a3")
        );
        let e = record_deleted(
            br#"{"eventType":"record.deleted","eventData":{"candidateAssessment":null}}"#,
            None,
            at(),
        )
        .unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "eventData.candidateAssessment.id"),
            "{e}"
        );
    }

    #[test]
    fn other_data_types_and_events_are_ignored() {
        let e = record_new(
            br#"{"eventType":"record.new","syncDataType":"ats_applications","eventData":{}}"#,
            tenant(),
            at(),
        )
        .unwrap();
        assert!(
            matches!(e, InboundEvent::Ignored(ref i) if i.reason.contains("ats_applications")),
            "{e:?}"
        );
        let e = other_event(br#"{"eventType":"sync.events.processed"}"#, tenant()).unwrap();
        assert!(
            matches!(e, InboundEvent::Ignored(ref i) if i.event_type == "sync.events.processed")
        );
        assert!(other_event(br#"{"eventType":null}"#, None).is_err());
        assert!(other_event(b"[]", None).is_err());
    }

    fn handle(ats: Option<&str>) -> OrderHandle {
        let mut context = Map::new();
        if let Some(a) = ats {
            context.insert("ats".into(), Value::from(a));
        }
        context.insert("knit_assessment_id".into(), Value::from("ats_ass_1"));
        OrderHandle {
            provider: "knit".into(),
            tenant: tenant(),
            provider_order_id: Some("ats_ass_1".into()),
            vendor_assessment_id: Some("vendor-9".into()),
            package_id: Some("pkg".into()),
            candidate_id: None,
            callback_url: None,
            context,
        }
    }

    #[test]
    fn ashby_results_use_ashbys_update_body_for_knits_id() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.score = Some(Score::out_of(84.0, 100.0));
        r.report_url = Some(Url::parse("https://assess.example.com/r/1").unwrap());
        let p = passthrough_update(&handle(Some("ashby")), &r, at()).unwrap();
        assert_eq!(
            (p.method.as_str(), p.path.as_str()),
            ("POST", "/assessment.update")
        );
        let body: Value = serde_json::from_str(p.body.as_deref().unwrap()).unwrap();
        let direct = ats_ashby::update_body("ats_ass_1", &r, at()).unwrap();
        assert_eq!(body, serde_json::to_value(direct).unwrap());
        assert_eq!(body["assessment_id"], "ats_ass_1");
        assert_eq!(body["timestamp"], 1_767_225_600_000_i64);
    }

    #[test]
    fn other_ats_are_unsupported() {
        let r = AssessmentResult::with_status(AssessmentStatus::InProgress);
        for ats in [Some("greenhouse"), Some("lever"), None] {
            let e = passthrough_update(&handle(ats), &r, at()).unwrap_err();
            assert!(matches!(e, Error::Unsupported { .. }), "{e}");
        }
        let e = passthrough_update(&handle(Some("greenhouse")), &r, at()).unwrap_err();
        assert!(e.to_string().contains("test_status"), "{e}");
    }

    #[test]
    fn event_type_is_read_leniently() {
        assert_eq!(
            event_type(br#"{"eventType":"record.new"}"#)
                .unwrap()
                .as_deref(),
            Some("record.new")
        );
        assert_eq!(event_type(br#"{"eventType":3}"#).unwrap(), None);
        // an array is not read by position as if it were the envelope
        assert_eq!(event_type(br#"["record.new"]"#).unwrap(), None);
        assert!(event_type(b"").is_err());
    }

    #[test]
    fn repeated_items_are_capped() {
        let mut body = ashby_webhook();
        let email = json!({"email": "alex@example.com", "type": "PRIMARY"});
        body["eventData"]["candidateAssessment"]["candidate"]["emails"] =
            Value::Array(vec![email; ats_core::codec::MAX_ITEMS + 1]);
        let e = record_new(body.to_string().as_bytes(), tenant(), at()).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "eventData.candidateAssessment.candidate.emails"),
            "{e}"
        );
    }
}
