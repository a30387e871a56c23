//! Pure translation between Lever's wire structs and the core model.
//!
//! Lever has no assessment API and so no assessment status of its own:
//! orders come from pipeline moves, and results go back as tags and a note.
//!
//! ## Status mapping
//!
//! Lever → core (webhook events, after the checks of
//! [`crate::Lever`]'s `receive`):
//!
//! | Lever event | core event |
//! |---|---|
//! | `candidateStageChange` with `toStageId` a trigger stage of the connection | `order_received` (package from the connection's stage mapping) |
//! | `candidateStageChange` to any other stage | `ignored` |
//! | `candidateArchiveChange` with `toArchived` set | `order_cancelled` (provider order id = opportunity id) |
//! | `candidateArchiveChange` with `toArchived: null` (unarchived) | `ignored` |
//! | `candidateDeleted` | `order_cancelled` |
//! | `candidateHired`, `applicationCreated`, `interview*`, `contact*` | `ignored` |
//! | any event with empty `data` (the settings page's test delivery) | `ignored` |
//!
//! core → Lever ([`AssessmentStatus`] → the status tag `<prefix>: <label>`;
//! the other five status tags of the prefix are removed; final statuses
//! also get a note):
//!
//! | core status | status tag label | note |
//! |---|---|---|
//! | `invited` | `invited` | – |
//! | `in_progress` | `in progress` | – |
//! | `completed` | `completed` (+ `grade <grade>` when graded) | score, grade, pass/fail, summary, sections, report link |
//! | `cancelled` | `cancelled` | status, reason, report link |
//! | `expired` | `expired` | status, reason, report link |
//! | `error` | `error` | status, reason, report link |
//!
//! Every note ends with a `Ref:` line naming the vendor's assessment id, so
//! a person (or a later check) can tell notes of different assessments apart.

use ats_core::codec::non_blank;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use ats_core::codec::{decode_json, decode_json_with_raw, required, required_string};
use ats_core::{
    Application, AssessmentOrder, AssessmentResult, AssessmentStatus, Cancellation, Candidate,
    Email, Error, Ignored, InboundEvent, Job, Location, OrderHandle, OrderRef, Person, Phone,
    RawJson,
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use crate::wire::{EventData, Expandable, Opportunity, Posting, WebhookDelivery};

/// The adapter's name.
pub const PROVIDER: &str = "lever";

/// `candidateStageChange`: an opportunity moved to another stage.
pub const CANDIDATE_STAGE_CHANGE: &str = "candidateStageChange";
/// `candidateArchiveChange`: an opportunity was archived or unarchived.
pub const CANDIDATE_ARCHIVE_CHANGE: &str = "candidateArchiveChange";
/// `candidateDeleted`: an opportunity was deleted.
pub const CANDIDATE_DELETED: &str = "candidateDeleted";
/// `candidateHired`: a candidate was hired (also the test delivery's event).
pub const CANDIDATE_HIRED: &str = "candidateHired";
/// `applicationCreated`: an application was created.
pub const APPLICATION_CREATED: &str = "applicationCreated";
/// `interviewCreated` (beta).
pub const INTERVIEW_CREATED: &str = "interviewCreated";
/// `interviewUpdated` (beta).
pub const INTERVIEW_UPDATED: &str = "interviewUpdated";
/// `interviewDeleted` (beta).
pub const INTERVIEW_DELETED: &str = "interviewDeleted";
/// `contactCreated`.
pub const CONTACT_CREATED: &str = "contactCreated";
/// `contactUpdated`.
pub const CONTACT_UPDATED: &str = "contactUpdated";

/// Every webhook event Lever documents.
pub const EVENTS: [&str; 10] = [
    CANDIDATE_STAGE_CHANGE,
    CANDIDATE_ARCHIVE_CHANGE,
    CANDIDATE_DELETED,
    CANDIDATE_HIRED,
    APPLICATION_CREATED,
    INTERVIEW_CREATED,
    INTERVIEW_UPDATED,
    INTERVIEW_DELETED,
    CONTACT_CREATED,
    CONTACT_UPDATED,
];

/// Context key: the opportunity the order is about (write-back target).
pub const CTX_OPPORTUNITY_ID: &str = "opportunity_id";
/// Context key: the contact (person).
pub const CTX_CONTACT_ID: &str = "contact_id";
/// Context key: the trigger stage.
pub const CTX_STAGE_ID: &str = "stage_id";
/// Context key: the application.
pub const CTX_APPLICATION_ID: &str = "application_id";
/// Context key: the posting (job).
pub const CTX_POSTING_ID: &str = "posting_id";

/// A webhook delivery, decoded, with the fields every event needs checked.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// The typed envelope.
    pub envelope: WebhookDelivery,
    /// The body, untouched.
    pub raw: RawJson,
    /// The event name.
    pub event: String,
    /// `triggeredAt` as a time.
    pub sent_at: DateTime<Utc>,
}

/// Decodes a webhook body: it must be a JSON object with a string `event`
/// and a `triggeredAt` (milliseconds).
pub fn decode_delivery(body: &[u8]) -> Result<Delivery, Error> {
    let (envelope, raw): (WebhookDelivery, RawJson) = decode_json_with_raw(body)?;
    let event = required(envelope.event.as_deref(), "event")?.to_owned();
    let sent_at = sent_at(&envelope)?;
    Ok(Delivery {
        envelope,
        raw,
        event,
        sent_at,
    })
}

/// `triggeredAt` as a time.
pub fn sent_at(envelope: &WebhookDelivery) -> Result<DateTime<Utc>, Error> {
    let at = envelope
        .triggered_at
        .as_ref()
        .ok_or_else(|| Error::missing("triggeredAt"))?;
    DateTime::from_timestamp_millis(at.millis)
        .ok_or_else(|| Error::malformed("triggeredAt", "timestamp out of range"))
}

/// The message Lever signs: `token + triggeredAt`, concatenated.
pub fn signed_message(envelope: &WebhookDelivery) -> Option<String> {
    let token = envelope.token.as_deref().filter(|t| !t.is_empty())?;
    let at = envelope.triggered_at.as_ref()?;
    Some(format!("{token}{}", at.text))
}

/// Translates a webhook delivery into a core event, before any detail is
/// fetched from Lever's API (see the module docs for the mapping).
///
/// `operation` is the event the request was routed as (the body's `event`
/// must name it); `stages` is the connection's trigger-stage mapping
/// (`None` when the connection is unknown: nothing is then an order).
/// The order of a stage change carries only ids at this point:
/// `Lever::receive` fills in the candidate and the job.
pub fn webhook_to_event(
    operation: &str,
    body: &[u8],
    stages: Option<&BTreeMap<String, String>>,
) -> Result<InboundEvent, Error> {
    let delivery = decode_delivery(body)?;
    if delivery.event != operation {
        return Err(Error::malformed(
            "event",
            format!("`{}` delivered as `{operation}`", delivery.event),
        ));
    }
    // `data` is kept as its JSON text (`null` reads as absent)
    match delivery.envelope.data.as_deref().map(|d| d.get()) {
        None => return Ok(ignored(operation, TEST_DELIVERY)),
        Some(object) if object.starts_with('{') => {
            if object[1..object.len() - 1].trim().is_empty() {
                return Ok(ignored(operation, TEST_DELIVERY));
            }
        }
        Some(_) => return Err(Error::malformed("data", "expected an object")),
    }
    match operation {
        CANDIDATE_STAGE_CHANGE => stage_change(delivery, stages),
        CANDIDATE_ARCHIVE_CHANGE => archive_change(&delivery),
        CANDIDATE_DELETED => deleted(&delivery),
        other => Ok(ignored_delivery(
            other,
            &format!("`{other}` does not start or stop an assessment"),
            &delivery.raw,
        )),
    }
}

/// The reason given for the settings page's test delivery.
pub const TEST_DELIVERY: &str = "test delivery (empty `data`)";

fn event_data(delivery: &Delivery) -> Result<EventData, Error> {
    let data = delivery
        .envelope
        .data
        .as_deref()
        .map_or("null", |d| d.get());
    decode_json::<EventData>(data.as_bytes()).map_err(|e| match e {
        Error::Malformed { path, message } => Error::malformed(
            if path == "." {
                "data".to_owned()
            } else {
                format!("data.{path}")
            },
            message,
        ),
        other => other,
    })
}

/// The opportunity id of a candidate event: `opportunityId`, else the
/// deprecated `candidateId` (Lever: a candidate id is an opportunity id),
/// moved out of `data`.
fn opportunity_id(data: &mut EventData) -> Option<String> {
    non_blank(data.opportunity_id.take()).or_else(|| non_blank(data.candidate_id.take()))
}

fn stage_change(
    delivery: Delivery,
    stages: Option<&BTreeMap<String, String>>,
) -> Result<InboundEvent, Error> {
    let mut data = event_data(&delivery)?;
    let opportunity =
        opportunity_id(&mut data).ok_or_else(|| Error::missing("data.opportunityId"))?;
    let stage = required_string(data.to_stage_id, "data.toStageId")?;
    let Some(package_id) = stages.and_then(|s| s.get(&stage)) else {
        return Ok(ignored_delivery(
            CANDIDATE_STAGE_CHANGE,
            &format!("stage `{stage}` is not a trigger stage of this connection"),
            &delivery.raw,
        ));
    };
    let contact = non_blank(data.contact_id);
    let mut context = Map::new();
    context.insert(
        CTX_OPPORTUNITY_ID.into(),
        Value::String(opportunity.clone()),
    );
    if let Some(c) = &contact {
        context.insert(CTX_CONTACT_ID.into(), Value::String(c.clone()));
    }
    context.insert(CTX_STAGE_ID.into(), Value::String(stage));
    Ok(InboundEvent::OrderReceived(Box::new(AssessmentOrder {
        package: None,
        provider: PROVIDER.to_owned(),
        tenant: None,
        provider_order_id: Some(opportunity),
        package_id: package_id.clone(),
        candidate: Candidate {
            id: contact,
            ..Candidate::default()
        },
        application: None,
        job: None,
        requested_by: None,
        callback_url: None,
        received_at: delivery.sent_at,
        context,
        extras: Map::new(),
        raw: delivery.raw,
    })))
}

fn archive_change(delivery: &Delivery) -> Result<InboundEvent, Error> {
    let mut data = event_data(delivery)?;
    let Some(opportunity) = opportunity_id(&mut data) else {
        return Ok(ignored_delivery(
            CANDIDATE_ARCHIVE_CHANGE,
            "the delivery names no opportunity",
            &delivery.raw,
        ));
    };
    // `toArchived: null` is an unarchive. When the field is absent (its
    // shape is not in Lever's documentation) the event is treated as an
    // archive; `receive` confirms it against the opportunity either way.
    let unarchived = matches!(data.to_archived, Some(None));
    if unarchived {
        return Ok(ignored_delivery(
            CANDIDATE_ARCHIVE_CHANGE,
            "the opportunity was unarchived",
            &delivery.raw,
        ));
    }
    let reason = match data.to_archived.flatten().and_then(|a| non_blank(a.reason)) {
        Some(r) => format!("archived in Lever (archive reason {r})"),
        None => "archived in Lever".to_owned(),
    };
    Ok(cancellation(delivery, opportunity, reason))
}

fn deleted(delivery: &Delivery) -> Result<InboundEvent, Error> {
    let mut data = event_data(delivery)?;
    let Some(opportunity) = opportunity_id(&mut data) else {
        return Ok(ignored_delivery(
            CANDIDATE_DELETED,
            "the delivery names no opportunity",
            &delivery.raw,
        ));
    };
    Ok(cancellation(
        delivery,
        opportunity,
        "deleted in Lever".into(),
    ))
}

fn cancellation(delivery: &Delivery, opportunity: String, reason: String) -> InboundEvent {
    InboundEvent::OrderCancelled(Cancellation {
        provider: PROVIDER.to_owned(),
        tenant: None,
        order: OrderRef::provider(opportunity),
        reason: Some(reason),
        received_at: delivery.sent_at,
        raw: delivery.raw.clone(),
    })
}

/// What a delivery says, for the reason of an ignored event: every `data`
/// field under Lever's own name (text in backticks, anything else as
/// compact JSON, `null` included), then the envelope's `triggeredAt`
/// (RFC 3339, milliseconds) and `id`. Empty when the delivery says
/// nothing.
///
/// ```
/// let raw = serde_json::json!({
///     "id": "2f4b8c1e", "triggeredAt": 1767261600123_i64, "event": "candidateStageChange",
///     "data": {"opportunityId": "6513270e", "toStageId": "18f135d2", "fromArchived": null},
///     "signature": "fbcee824", "token": "7ccf25ec"
/// });
/// assert_eq!(
///     ats_lever::translate::delivery_details(&raw),
///     "opportunityId `6513270e`, toStageId `18f135d2`, fromArchived null, \
///      triggeredAt 2026-01-01T10:00:00.123Z, id `2f4b8c1e`"
/// );
/// ```
pub fn delivery_details(raw: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(Value::Object(data)) = raw.get("data") {
        for (key, value) in data {
            parts.push(match value {
                Value::String(text) => format!("{key} `{}`", sanitize(text)),
                other => format!("{key} {other}"),
            });
        }
    }
    let at = raw.get("triggeredAt").and_then(|v| match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    if let Some(at) = at.and_then(DateTime::from_timestamp_millis) {
        parts.push(format!(
            "triggeredAt {}",
            at.to_rfc3339_opts(SecondsFormat::Millis, true)
        ));
    }
    if let Some(id) = raw
        .get("id")
        .and_then(Value::as_str)
        .filter(|i| !i.is_empty())
    {
        parts.push(format!("id `{}`", sanitize(id)));
    }
    parts.join(", ")
}

/// An [`InboundEvent::Ignored`] for `event` whose reason also says what
/// the delivery `raw` says ([`delivery_details`]), so a reader of the event
/// (`ats inspect`, the activity log) sees which opportunity, contact and
/// stages it was about.
pub fn ignored_delivery(event: &str, reason: &str, raw: &RawJson) -> InboundEvent {
    let details = delivery_details(&raw.to_value().unwrap_or_default());
    if details.is_empty() {
        ignored(event, reason)
    } else {
        ignored(event, &format!("{reason} ({details})"))
    }
}

/// An [`InboundEvent::Ignored`] for `event`.
pub fn ignored(event: &str, reason: &str) -> InboundEvent {
    InboundEvent::Ignored(Ignored {
        provider: PROVIDER.to_owned(),
        tenant: None,
        event_type: event.to_owned(),
        reason: reason.to_owned(),
    })
}

// ---------------------------------------------------------------------------
// Enrichment (after GET /opportunities/:id and GET /postings/:id)
// ---------------------------------------------------------------------------

/// The current stage id of an opportunity.
pub fn current_stage(opportunity: &Opportunity) -> Option<&str> {
    match opportunity.stage.as_ref()? {
        Expandable::Id(id) => Some(id.as_str()),
        Expandable::Object(stage) => stage.id.as_deref(),
    }
}

/// Whether the opportunity is archived (either of the two shapes Lever's
/// documentation shows).
pub fn is_archived(opportunity: &Opportunity) -> bool {
    opportunity.archived.is_some() || opportunity.archived_at.is_some()
}

/// Why an order for `opportunity` must not go ahead, if it must not: it
/// is anonymized, archived, no longer in `trigger_stage`, or has no e-mail
/// address to send the invitation to.
pub fn order_blocker(opportunity: &Opportunity, trigger_stage: &str) -> Option<String> {
    if opportunity.is_anonymized == Some(true) {
        return Some("the opportunity is anonymized".into());
    }
    if opportunity.deleted_at.is_some() {
        return Some("the opportunity is deleted".into());
    }
    if is_archived(opportunity) {
        return Some("the opportunity is archived".into());
    }
    match current_stage(opportunity) {
        Some(stage) if stage == trigger_stage => {}
        Some(stage) => {
            return Some(format!(
                "the opportunity has left stage `{trigger_stage}` (now in `{stage}`)"
            ));
        }
        None => return Some("the opportunity has no stage".into()),
    }
    if !opportunity.emails.iter().any(|e| !e.trim().is_empty()) {
        return Some("the opportunity has no e-mail address".into());
    }
    None
}

/// The application of an opportunity (Lever allows at most one).
pub fn application(opportunity: &Opportunity) -> Option<(Option<&str>, Option<&str>)> {
    opportunity.applications.first().map(|a| match a {
        Expandable::Id(id) => (Some(id.as_str()), None),
        Expandable::Object(app) => (
            app.id.as_deref(),
            app.posting.as_ref().and_then(|p| match p {
                Expandable::Id(id) => Some(id.as_str()),
                Expandable::Object(o) => o.id.as_deref(),
            }),
        ),
    })
}

/// The posting (job) id of an opportunity, from its expanded application.
pub fn posting_id(opportunity: &Opportunity) -> Option<&str> {
    application(opportunity)
        .and_then(|(_, posting)| posting)
        .filter(|p| !p.trim().is_empty())
}

/// Completes an order from the opportunity and, when it has one, its
/// posting: candidate details, application, job, who moved the candidate,
/// and what write-back needs in `context`.
pub fn enrich_order(
    order: &mut AssessmentOrder,
    opportunity: &Opportunity,
    posting: Option<&Posting>,
) {
    let contact = match &opportunity.contact {
        Some(Expandable::Id(id)) => non_blank(Some(id.clone())),
        Some(Expandable::Object(o)) => non_blank(o.id.clone()),
        None => None,
    };
    let (first_name, last_name) = split_name(opportunity.name.as_deref());
    order.candidate = Candidate {
        remote_id: None,
        id: contact.or_else(|| order.candidate.id.take()),
        first_name,
        last_name,
        preferred_name: None,
        emails: opportunity
            .emails
            .iter()
            .filter(|e| !e.trim().is_empty())
            .map(|e| Email {
                address: e.trim().to_owned(),
                kind: None,
            })
            .collect(),
        phones: opportunity
            .phones
            .iter()
            .filter_map(|p| {
                Some(Phone {
                    number: non_blank(p.value.clone())?,
                    kind: non_blank(p.kind.clone()),
                })
            })
            .collect(),
        location: non_blank(opportunity.location.clone()).map(|text| Location {
            text: Some(text),
            ..Location::default()
        }),
        profile_url: opportunity
            .urls
            .as_ref()
            .and_then(|u| non_blank(u.show.clone())),
        resume_url: None,
    };
    if let Some(c) = &order.candidate.id {
        order
            .context
            .insert(CTX_CONTACT_ID.into(), Value::String(c.clone()));
    }
    let stage_text = match &opportunity.stage {
        Some(Expandable::Object(s)) => non_blank(s.text.clone()),
        _ => None,
    };
    if let Some((app_id, _)) = application(opportunity) {
        let app_id = non_blank(app_id.map(str::to_owned));
        if let Some(id) = &app_id {
            order
                .context
                .insert(CTX_APPLICATION_ID.into(), Value::String(id.clone()));
        }
        order.application = Some(Application {
            remote_id: None,
            id: app_id,
            status: stage_text,
            url: None,
        });
    }
    let posting_ref = posting_id(opportunity).map(str::to_owned);
    if let Some(id) = &posting_ref {
        order
            .context
            .insert(CTX_POSTING_ID.into(), Value::String(id.clone()));
    }
    order.job = posting_ref.map(|id| job(id, posting));
    let stage = order
        .context
        .get(CTX_STAGE_ID)
        .and_then(Value::as_str)
        .map(str::to_owned);
    order.requested_by = opportunity
        .stage_changes
        .iter()
        .rev()
        .find(|c| c.to_stage_id.is_some() && c.to_stage_id == stage)
        .and_then(|c| non_blank(c.user_id.clone()))
        .map(|id| Person {
            id: Some(id),
            ..Person::default()
        });
    let mut extras = Map::new();
    if let Some(name) = non_blank(opportunity.name.clone()) {
        extras.insert("name".into(), Value::String(name));
    }
    if let Some(h) = non_blank(opportunity.headline.clone()) {
        extras.insert("headline".into(), Value::String(h));
    }
    let strings = |v: &[String]| {
        Value::Array(
            v.iter()
                .filter(|s| !s.trim().is_empty())
                .map(|s| Value::String(s.clone()))
                .collect(),
        )
    };
    if !opportunity.links.is_empty() {
        extras.insert("links".into(), strings(&opportunity.links));
    }
    if !opportunity.tags.is_empty() {
        extras.insert("tags".into(), strings(&opportunity.tags));
    }
    if let Some(o) = non_blank(opportunity.origin.clone()) {
        extras.insert("origin".into(), Value::String(o));
    }
    if let Some(c) = non_blank(opportunity.confidentiality.clone()) {
        extras.insert("confidentiality".into(), Value::String(c));
    }
    order.extras = extras;
}

fn job(id: String, posting: Option<&Posting>) -> Job {
    let Some(p) = posting else {
        return Job {
            id: Some(id),
            ..Job::default()
        };
    };
    let user = |u: &Option<Expandable<crate::wire::Identified>>| match u {
        Some(Expandable::Id(id)) => non_blank(Some(id.clone())),
        Some(Expandable::Object(o)) => non_blank(o.id.clone()),
        None => None,
    };
    let mut hiring_team = Vec::new();
    if let Some(id) = user(&p.hiring_manager) {
        hiring_team.push(Person {
            id: Some(id),
            roles: vec!["hiring_manager".into()],
            ..Person::default()
        });
    }
    if let Some(id) = user(&p.owner) {
        hiring_team.push(Person {
            id: Some(id),
            roles: vec!["owner".into()],
            ..Person::default()
        });
    }
    Job {
        remote_id: None,
        description: None,
        id: Some(id),
        name: non_blank(p.text.clone()),
        requisition_id: p
            .requisition_codes
            .iter()
            .find(|c| !c.trim().is_empty())
            .cloned()
            .or_else(|| non_blank(p.req_code.clone())),
        url: p.urls.as_ref().and_then(|u| non_blank(u.show.clone())),
        location: p
            .categories
            .as_ref()
            .and_then(|c| non_blank(c.location.clone()))
            .map(|text| Location {
                text: Some(text),
                ..Location::default()
            }),
        hiring_team,
    }
}

/// Lever stores one full name; it is split at the first space (the full
/// name is also kept in the order's `extras.name`).
pub fn split_name(name: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return (None, None);
    };
    match name.split_once(char::is_whitespace) {
        Some((first, rest)) => (
            Some(first.to_owned()),
            non_blank(Some(rest.trim().to_owned())),
        ),
        None => (Some(name.to_owned()), None),
    }
}

// ---------------------------------------------------------------------------
// Write-back (vendor → Lever)
// ---------------------------------------------------------------------------

/// Every core status, in the order their tags are listed.
pub const STATUSES: [AssessmentStatus; 6] = [
    AssessmentStatus::Invited,
    AssessmentStatus::InProgress,
    AssessmentStatus::Completed,
    AssessmentStatus::Cancelled,
    AssessmentStatus::Expired,
    AssessmentStatus::Error,
];

/// The label of a status in its tag (see the module docs).
pub fn status_label(status: AssessmentStatus) -> &'static str {
    match status {
        AssessmentStatus::Invited => "invited",
        AssessmentStatus::InProgress => "in progress",
        AssessmentStatus::Completed => "completed",
        AssessmentStatus::Cancelled => "cancelled",
        AssessmentStatus::Expired => "expired",
        AssessmentStatus::Error => "error",
    }
}

/// The status tag: `<prefix>: <label>`.
pub fn status_tag(prefix: &str, status: AssessmentStatus) -> String {
    format!("{prefix}: {}", status_label(status))
}

/// The tags to add for a result: its status tag, and `<prefix>: grade
/// <grade>` when it has a grade.
pub fn tags_to_add(prefix: &str, result: &AssessmentResult) -> Vec<String> {
    let mut tags = vec![status_tag(prefix, result.status)];
    if let Some(grade) = result
        .grade
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        tags.push(format!("{}{}", grade_tag_start(prefix), one_line(grade)));
    }
    tags
}

/// The start of every grade tag of the prefix: `<prefix>: grade `.
pub fn grade_tag_start(prefix: &str) -> String {
    format!("{prefix}: grade ")
}

/// The grade tags of the prefix among an opportunity's `current` tags that
/// a result must remove: every `<prefix>: grade …` tag but the ones it
/// adds ([`tags_to_add`]), in the opportunity's order, each once. Empty
/// for a result without a grade (its tags are left as they are).
pub fn stale_grade_tags(
    prefix: &str,
    result: &AssessmentResult,
    current: &[String],
) -> Vec<String> {
    let adding = tags_to_add(prefix, result);
    if adding.len() < 2 {
        return Vec::new();
    }
    let start = grade_tag_start(prefix);
    let mut stale: Vec<String> = Vec::new();
    for tag in current {
        if tag.starts_with(&start) && !adding.contains(tag) && !stale.contains(tag) {
            stale.push(tag.clone());
        }
    }
    stale
}

/// The tags to remove for a result: the prefix's other status tags, so
/// exactly one status tag of this vendor stays on the opportunity.
pub fn tags_to_remove(prefix: &str, status: AssessmentStatus) -> Vec<String> {
    STATUSES
        .iter()
        .filter(|s| **s != status)
        .map(|s| status_tag(prefix, *s))
        .collect()
}

/// The opportunity an order handle writes back to: the context's
/// `opportunity_id`, else the provider order id.
pub fn target_opportunity(order: &OrderHandle) -> Result<String, Error> {
    order
        .context
        .get(CTX_OPPORTUNITY_ID)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| order.provider_order_id.clone())
        .and_then(|id| non_blank(Some(id)))
        .ok_or_else(|| {
            Error::config("the order names no Lever opportunity (context.opportunity_id)")
        })
}

/// The note for a result, or `None` for statuses that only change tags
/// (`invited`, `in_progress`). Plain text; `@` at the start of a word in
/// vendor text is replaced so it mentions (and notifies) nobody.
pub fn note_text(prefix: &str, order: &OrderHandle, result: &AssessmentResult) -> Option<String> {
    if !result.status.is_final() {
        return None;
    }
    let mut text = status_tag(prefix, result.status);
    let mut line = |label: &str, value: &str| {
        let _ = write!(text, "\n{label}: {}", sanitize(value));
    };
    if let Some(score) = result.score {
        let mut s = number(score.value);
        if let Some(max) = score.max {
            let _ = write!(s, "/{}", number(max));
        }
        if let Some(pct) = score.percent() {
            let _ = write!(s, " ({}%)", number((pct * 10.0).round() / 10.0));
        }
        line("Score", &s);
    }
    if let Some(grade) = result.grade.as_deref().filter(|g| !g.trim().is_empty()) {
        line("Grade", grade);
    }
    if let Some(passed) = result.passed {
        line("Result", if passed { "passed" } else { "not passed" });
    }
    if let Some(summary) = result.summary.as_deref().filter(|s| !s.trim().is_empty()) {
        line("Summary", summary);
    }
    if let Some(reason) = result
        .status_reason
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        line("Reason", reason);
    }
    if !result.sections.is_empty() {
        text.push_str("\nSections:");
        for s in &result.sections {
            let mut entry = format!("\n- {}", sanitize(&s.label));
            let mut parts = Vec::new();
            if let Some(score) = s.score {
                parts.push(match score.max {
                    Some(max) => format!("{}/{}", number(score.value), number(max)),
                    None => number(score.value),
                });
            }
            if let Some(passed) = s.passed {
                parts.push(if passed { "passed" } else { "not passed" }.to_owned());
            }
            if let Some(summary) = s.summary.as_deref().filter(|x| !x.trim().is_empty()) {
                parts.push(sanitize(summary));
            }
            if !parts.is_empty() {
                let _ = write!(entry, ": {}", parts.join(", "));
            }
            text.push_str(&entry);
        }
    }
    for a in &result.attributes {
        let _ = write!(
            text,
            "\n{}: {}",
            sanitize(&a.label),
            sanitize(&a.value.to_string())
        );
    }
    if let Some(at) = result.completed_at {
        let _ = write!(
            text,
            "\nFinished: {}",
            at.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
    }
    if let Some(url) = &result.report_url {
        let _ = write!(text, "\nReport: {url}");
    }
    let reference = order
        .vendor_assessment_id
        .as_deref()
        .or(order.provider_order_id.as_deref());
    if let Some(r) = reference.filter(|r| !r.trim().is_empty()) {
        let _ = write!(text, "\nRef: {}", sanitize(r));
    }
    Some(text)
}

/// How a completed result becomes the thumbs `score` of its Lever note
/// (1 = strong no, 2 = no, 3 = yes, 4 = strong yes).
///
/// Off by default ([`NoteScore::off`]): Lever shows a note's score as a
/// hiring opinion, under the name of the connection's `perform_as` user,
/// so an automated result casts one only when the customer asks. A
/// result's grade is looked up first (exact text, surrounding whitespace
/// aside), then its pass/fail outcome; a result matching neither gets no
/// score. Only `completed` results are scored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NoteScore {
    grades: BTreeMap<String, u8>,
    passed: Option<u8>,
    failed: Option<u8>,
}

impl NoteScore {
    /// No score on any note (the default).
    // cargo mutants' `Default::default()` for this body is equivalent: the
    // body is `Self::default()` already.
    pub fn off() -> Self {
        Self::default()
    }

    /// A passed result scores `passed`, a failed one `failed` (each 1–4).
    pub fn pass_fail(passed: u8, failed: u8) -> Self {
        Self {
            passed: Some(passed),
            failed: Some(failed),
            ..Self::default()
        }
    }

    /// A result graded `grade` scores `score` (1–4), whatever its pass/fail
    /// outcome.
    pub fn grade(mut self, grade: impl Into<String>, score: u8) -> Self {
        self.grades.insert(grade.into().trim().to_owned(), score);
        self
    }

    /// Whether no result is ever scored.
    pub fn is_off(&self) -> bool {
        self.grades.is_empty() && self.passed.is_none() && self.failed.is_none()
    }

    /// The score of `result`'s note, if the rule gives it one.
    pub fn score_for(&self, result: &AssessmentResult) -> Option<u8> {
        if result.status != AssessmentStatus::Completed {
            return None;
        }
        let by_grade = result
            .grade
            .as_deref()
            .and_then(|g| self.grades.get(g.trim()).copied());
        by_grade.or(match result.passed {
            Some(true) => self.passed,
            Some(false) => self.failed,
            None => None,
        })
    }

    /// Checks every score is one Lever accepts (1–4).
    pub fn validate(&self) -> Result<(), Error> {
        let scores = self
            .grades
            .values()
            .chain(self.passed.iter())
            .chain(self.failed.iter());
        match scores.copied().find(|s| !(1..=4).contains(s)) {
            Some(bad) => Err(Error::config(format!(
                "Lever note scores are 1 to 4, not {bad}"
            ))),
            None => Ok(()),
        }
    }
}

/// How far in the past a completion time must be to date a note with it:
/// Lever refuses future `createdAt` values, and the vendor's clock may run
/// ahead of Lever's. A completion more recent than this leaves the note
/// dated when Lever receives it (a moment later).
pub const BACKDATE_MARGIN: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// The `createdAt` of a result's note: its completion time in
/// milliseconds, when that is at least [`BACKDATE_MARGIN`] before `now`.
pub fn note_created_at(result: &AssessmentResult, now: DateTime<Utc>) -> Option<i64> {
    let at = result.completed_at?;
    (now.signed_duration_since(at) >= BACKDATE_MARGIN).then(|| at.timestamp_millis())
}

/// Vendor text made safe for a note: one line per value, and `@` at the
/// start of a word (a Lever mention, which notifies that user) replaced by
/// the full-width `＠`.
pub fn sanitize(text: &str) -> String {
    let text = one_line(text);
    let mut out = String::with_capacity(text.len());
    let mut at_word_start = true;
    for c in text.chars() {
        if c == '@' && at_word_start {
            out.push('＠');
        } else {
            out.push(c);
        }
        at_word_start = c.is_whitespace() || matches!(c, '(' | '[' | '"' | '\'');
    }
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whole numbers without a fraction (`82`), others with at most two
/// decimals (`81.5`).
fn number(n: f64) -> String {
    if !n.is_finite() {
        return "?".to_owned();
    }
    // `<` → `<=` is an equivalent mutant: at exactly 9e15 both branches
    // write `9000000000000000`.
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        return format!("{}", n as i64);
    }
    let s = format!("{n:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}
#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::{Attribute, AttributeValue, Score, Section};
    use serde_json::json;
    use url::Url;

    const OPP: &str = "6513270e-269e-4d37-b2a7-4de452e6b438";
    const STAGE: &str = "36f675cc-81e7-4ef5-a8e2-5d940ed90475";

    fn stages() -> BTreeMap<String, String> {
        BTreeMap::from([(STAGE.to_owned(), "rust-senior".to_owned())])
    }

    fn body(event: &str, data: Value) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "triggeredAt": 1767261600123u64, "event": event, "data": data,
            "signature": "00", "token": "7ccf25ec84d8dbc74254770f58904dba41ecccc3fc1626e5"
        }))
        .unwrap()
    }

    #[test]
    fn an_ignored_stage_change_says_what_the_delivery_says() {
        let body = br#"{"id":"2f4b8c1e-6a3d-4e7f-9b20-5c8d1a7e3f64","triggeredAt":1767261600123,"event":"candidateStageChange","data":{"opportunityId":"6513270e-269e-4d37-b2a7-4de452e6b438","contactId":"d23f0824-128b-4f33-8c5c-7fd0a6a3a450","toStageId":"18f135d2-5f55-4203-b018-50c5a38fd547","fromStageId":"9531985d-5d9d-49f8-9818-e811892f902b"},"signature":"00","token":"7ccf25ec84d8dbc74254770f58904dba41ecccc3fc1626e5"}"#;
        let stages = BTreeMap::from([("36f675cc".to_owned(), "rust-senior".to_owned())]);
        let event = webhook_to_event(CANDIDATE_STAGE_CHANGE, body, Some(&stages)).unwrap();
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            serde_json::json!({
                "type": "ignored",
                "provider": "lever",
                "event_type": "candidateStageChange",
                "reason": "stage `18f135d2-5f55-4203-b018-50c5a38fd547` is not a trigger stage of this connection \
                           (opportunityId `6513270e-269e-4d37-b2a7-4de452e6b438`, \
                           contactId `d23f0824-128b-4f33-8c5c-7fd0a6a3a450`, \
                           toStageId `18f135d2-5f55-4203-b018-50c5a38fd547`, \
                           fromStageId `9531985d-5d9d-49f8-9818-e811892f902b`, \
                           triggeredAt 2026-01-01T10:00:00.123Z, id `2f4b8c1e-6a3d-4e7f-9b20-5c8d1a7e3f64`)"
            })
        );
        // the test delivery's reason is unchanged
        let ping = br#"{"triggeredAt":1767261000456,"event":"candidateHired","data":{}}"#;
        let InboundEvent::Ignored(i) = webhook_to_event(CANDIDATE_HIRED, ping, None).unwrap()
        else {
            panic!("not ignored")
        };
        assert_eq!(i.reason, TEST_DELIVERY);
    }

    #[test]
    fn a_triggered_at_sent_as_text_is_read_too() {
        let raw = json!({"triggeredAt": " 1767261600123 ", "data": {"opportunityId": "6513270e"}});
        assert_eq!(
            delivery_details(&raw),
            "opportunityId `6513270e`, triggeredAt 2026-01-01T10:00:00.123Z"
        );
        let raw = json!({"triggeredAt": "soon", "id": ""});
        assert_eq!(delivery_details(&raw), "");
    }

    #[test]
    fn stale_grade_tags_are_the_prefixs_other_grades() {
        let mut result = AssessmentResult::with_status(AssessmentStatus::Completed);
        let current: Vec<String> = [
            "Engineering",
            "Acme: grade C",
            "Acme: completed",
            "Acme: grade B",
            "Other: grade A",
            "Acme: grade C",
            "acme: grade D",
            "Acme: graded",
        ]
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
        assert_eq!(
            stale_grade_tags("Acme", &result, &current),
            Vec::<String>::new()
        );
        result.grade = Some(" B ".into());
        assert_eq!(
            stale_grade_tags("Acme", &result, &current),
            ["Acme: grade C"]
        );
        result.grade = Some("A".into());
        assert_eq!(
            stale_grade_tags("Acme", &result, &current),
            ["Acme: grade C", "Acme: grade B"]
        );
    }

    #[test]
    fn stage_change_into_trigger_stage_is_an_order_skeleton() {
        let b = body(
            CANDIDATE_STAGE_CHANGE,
            json!({"opportunityId": OPP, "candidateId": OPP,
                   "contactId": "d23f0824-128b-4f33-8c5c-7fd0a6a3a450",
                   "toStageId": STAGE, "fromStageId": "9531985d-5d9d-49f8-9818-e811892f902b"}),
        );
        let InboundEvent::OrderReceived(o) =
            webhook_to_event(CANDIDATE_STAGE_CHANGE, &b, Some(&stages())).unwrap()
        else {
            panic!("not an order")
        };
        assert_eq!(o.provider_order_id.as_deref(), Some(OPP));
        assert_eq!(o.package_id, "rust-senior");
        assert_eq!(
            o.candidate.id.as_deref(),
            Some("d23f0824-128b-4f33-8c5c-7fd0a6a3a450")
        );
        assert_eq!(o.received_at.to_rfc3339(), "2026-01-01T10:00:00.123+00:00");
        assert_eq!(o.context[CTX_OPPORTUNITY_ID], json!(OPP));
        assert_eq!(o.context[CTX_STAGE_ID], json!(STAGE));
        assert_eq!(o.raw.to_value().unwrap()["data"]["toStageId"], json!(STAGE));
    }

    #[test]
    fn other_stages_unknown_connections_and_test_pings_are_ignored() {
        let b = body(
            CANDIDATE_STAGE_CHANGE,
            json!({"opportunityId": OPP, "toStageId": "18f135d2-5f55-4203-b018-50c5a38fd547"}),
        );
        let e = webhook_to_event(CANDIDATE_STAGE_CHANGE, &b, Some(&stages())).unwrap();
        assert_eq!(e.kind(), "ignored");
        let b = body(
            CANDIDATE_STAGE_CHANGE,
            json!({"opportunityId": OPP, "toStageId": STAGE}),
        );
        assert_eq!(
            webhook_to_event(CANDIDATE_STAGE_CHANGE, &b, None)
                .unwrap()
                .kind(),
            "ignored"
        );
        let ping = body(CANDIDATE_HIRED, json!({}));
        let InboundEvent::Ignored(i) = webhook_to_event(CANDIDATE_HIRED, &ping, None).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (i.event_type.as_str(), i.reason.as_str()),
            ("candidateHired", TEST_DELIVERY)
        );
    }

    #[test]
    fn data_is_classified_from_its_text() {
        // `data` is kept as JSON text: absent, `null` and an empty object
        // (spacing aside) are the settings page's test delivery
        for data in [None, Some("null"), Some("{}"), Some("{ \n }")] {
            let b = match data {
                None => r#"{"triggeredAt":1767261600123,"event":"candidateHired"}"#.to_owned(),
                Some(d) => {
                    format!(
                        r#"{{"triggeredAt":1767261600123,"event":"candidateHired","data":{d}}}"#
                    )
                }
            };
            let event = webhook_to_event(CANDIDATE_HIRED, b.as_bytes(), None).unwrap();
            let InboundEvent::Ignored(i) = event else {
                panic!("{data:?}: {event:?}")
            };
            assert_eq!(i.reason, TEST_DELIVERY, "{data:?}");
        }
        // anything but an object is refused at `data`
        for data in ["5", "\"x\"", "[]", "[{}]", "true"] {
            let b = format!(
                r#"{{"triggeredAt":1767261600123,"event":"candidateHired","data":{data}}}"#
            );
            let e = webhook_to_event(CANDIDATE_HIRED, b.as_bytes(), None).unwrap_err();
            assert_eq!(
                e.to_string(),
                "malformed payload at `data`: expected an object",
                "{data}"
            );
        }
        // an object with fields is read by the event's own rules
        let b = body(CANDIDATE_STAGE_CHANGE, json!({"toStageId": STAGE}));
        let e = webhook_to_event(CANDIDATE_STAGE_CHANGE, &b, Some(&stages())).unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed payload at `data.opportunityId`: required field is missing or empty"
        );
    }

    #[test]
    fn stage_change_requires_its_ids() {
        let b = body(CANDIDATE_STAGE_CHANGE, json!({"toStageId": STAGE}));
        let e = webhook_to_event(CANDIDATE_STAGE_CHANGE, &b, Some(&stages())).unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed payload at `data.opportunityId`: required field is missing or empty"
        );
        // the deprecated candidateId stands in for the opportunity id
        let b = body(
            CANDIDATE_STAGE_CHANGE,
            json!({"candidateId": OPP, "toStageId": STAGE}),
        );
        let e = webhook_to_event(CANDIDATE_STAGE_CHANGE, &b, Some(&stages())).unwrap();
        assert_eq!(e.kind(), "order_received");
        let b = body(
            CANDIDATE_STAGE_CHANGE,
            json!({"opportunityId": OPP, "toStageId": 3}),
        );
        let e = webhook_to_event(CANDIDATE_STAGE_CHANGE, &b, Some(&stages())).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "data.toStageId"),
            "{e}"
        );
    }

    #[test]
    fn envelope_problems_name_the_field() {
        let e =
            webhook_to_event(CANDIDATE_HIRED, br#"{"event":"candidateHired"}"#, None).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "triggeredAt"),
            "{e}"
        );
        let e = webhook_to_event(CANDIDATE_HIRED, &body(CANDIDATE_DELETED, json!({})), None)
            .unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "event"),
            "{e}"
        );
        let e = webhook_to_event(CANDIDATE_HIRED, &body(CANDIDATE_HIRED, json!("x")), None)
            .unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "data"),
            "{e}"
        );
        for junk in [&b""[..], b"[]", b"null", b"{\"event\":", b"\xff"] {
            let e = webhook_to_event(CANDIDATE_HIRED, junk, None).unwrap_err();
            assert!(matches!(e, Error::Malformed { .. }), "{e}");
        }
    }

    #[test]
    fn archive_and_delete_cancel_by_opportunity() {
        let b = body(
            CANDIDATE_ARCHIVE_CHANGE,
            json!({"opportunityId": OPP, "fromArchived": null,
                   "toArchived": {"archivedAt": 1767528000000u64, "reason": "92276658-1e27-41c0-8a6a-63ec24ede6a4"}}),
        );
        let InboundEvent::OrderCancelled(c) =
            webhook_to_event(CANDIDATE_ARCHIVE_CHANGE, &b, None).unwrap()
        else {
            panic!()
        };
        assert_eq!(c.order, OrderRef::provider(OPP));
        assert_eq!(
            c.reason.as_deref(),
            Some("archived in Lever (archive reason 92276658-1e27-41c0-8a6a-63ec24ede6a4)")
        );
        let b = body(
            CANDIDATE_ARCHIVE_CHANGE,
            json!({"opportunityId": OPP, "fromArchived": {"archivedAt": 1, "reason": "r"}, "toArchived": null}),
        );
        assert_eq!(
            webhook_to_event(CANDIDATE_ARCHIVE_CHANGE, &b, None)
                .unwrap()
                .kind(),
            "ignored"
        );
        let b = body(CANDIDATE_DELETED, json!({"opportunityId": OPP}));
        let InboundEvent::OrderCancelled(c) =
            webhook_to_event(CANDIDATE_DELETED, &b, None).unwrap()
        else {
            panic!()
        };
        assert_eq!(c.reason.as_deref(), Some("deleted in Lever"));
        let b = body(CANDIDATE_DELETED, json!({"contactId": "c"}));
        assert_eq!(
            webhook_to_event(CANDIDATE_DELETED, &b, None)
                .unwrap()
                .kind(),
            "ignored"
        );
    }

    fn opportunity() -> Opportunity {
        serde_json::from_value(json!({
            "id": OPP, "name": "Avery Quill", "headline": "Northwind Analytics",
            "contact": "d23f0824-128b-4f33-8c5c-7fd0a6a3a450",
            "emails": ["avery.quill@example.com", "aq@example.net"],
            "phones": [{"value": "+1 555 0100"}, {"type": "mobile", "value": "+1 555 0101"}],
            "location": "Springfield", "links": ["https://portfolio.example.com/avery"],
            "stage": {"id": STAGE, "text": "Skills Assessment"},
            "stageChanges": [
                {"toStageId": STAGE, "userId": "u-old", "updatedAt": 1},
                {"toStageId": "other", "userId": "u-2", "updatedAt": 2},
                {"toStageId": STAGE, "userId": "90c192cf-d3ac-44af-8f21-ddb66cad4a26", "updatedAt": 3}
            ],
            "archivedAt": null, "tags": ["Engineering"], "origin": "applied",
            "confidentiality": "non-confidential",
            "applications": [{"id": "6b0d549b-6f03-475a-9600-a35a099950d8", "type": "posting",
                              "posting": "8d116ece-1738-47d9-bd9c-172411e20b8f"}],
            "urls": {"show": "https://hire.lever.co/candidates/6513270e-269e-4d37-b2a7-4de452e6b438"},
            "isAnonymized": false
        }))
        .unwrap()
    }

    #[test]
    fn enrichment_fills_candidate_job_and_context() {
        let b = body(
            CANDIDATE_STAGE_CHANGE,
            json!({"opportunityId": OPP, "contactId": "d23f0824-128b-4f33-8c5c-7fd0a6a3a450", "toStageId": STAGE}),
        );
        let InboundEvent::OrderReceived(mut o) =
            webhook_to_event(CANDIDATE_STAGE_CHANGE, &b, Some(&stages())).unwrap()
        else {
            panic!()
        };
        let opp = opportunity();
        assert_eq!(order_blocker(&opp, STAGE), None);
        assert_eq!(
            posting_id(&opp),
            Some("8d116ece-1738-47d9-bd9c-172411e20b8f")
        );
        let posting: Posting = serde_json::from_value(json!({
            "id": "8d116ece-1738-47d9-bd9c-172411e20b8f", "text": "Backend Engineer",
            "hiringManager": "a170b338", "owner": "90c192cf",
            "categories": {"location": "Springfield"}, "reqCode": "OLD-1",
            "requisitionCodes": ["ENG-42"],
            "urls": {"show": "https://jobs.lever.co/example/8d116ece-1738-47d9-bd9c-172411e20b8f"}
        }))
        .unwrap();
        enrich_order(&mut o, &opp, Some(&posting));
        let c = &o.candidate;
        assert_eq!(
            (c.first_name.as_deref(), c.last_name.as_deref()),
            (Some("Avery"), Some("Quill"))
        );
        assert_eq!(c.primary_email(), Some("avery.quill@example.com"));
        assert_eq!(c.emails.len(), 2);
        assert_eq!(
            c.phones[1],
            Phone {
                number: "+1 555 0101".into(),
                kind: Some("mobile".into())
            }
        );
        assert_eq!(
            c.location.as_ref().unwrap().text.as_deref(),
            Some("Springfield")
        );
        let app = o.application.as_ref().unwrap();
        assert_eq!(
            app.id.as_deref(),
            Some("6b0d549b-6f03-475a-9600-a35a099950d8")
        );
        assert_eq!(app.status.as_deref(), Some("Skills Assessment"));
        let job = o.job.as_ref().unwrap();
        assert_eq!(job.name.as_deref(), Some("Backend Engineer"));
        assert_eq!(job.requisition_id.as_deref(), Some("ENG-42"));
        assert_eq!(job.hiring_team[0].roles, vec!["hiring_manager".to_owned()]);
        assert_eq!(
            o.requested_by.as_ref().unwrap().id.as_deref(),
            Some("90c192cf-d3ac-44af-8f21-ddb66cad4a26")
        );
        assert_eq!(
            o.context[CTX_POSTING_ID],
            json!("8d116ece-1738-47d9-bd9c-172411e20b8f")
        );
        assert_eq!(
            o.context[CTX_APPLICATION_ID],
            json!("6b0d549b-6f03-475a-9600-a35a099950d8")
        );
        assert_eq!(o.extras["name"], json!("Avery Quill"));
        assert_eq!(
            o.extras["links"],
            json!(["https://portfolio.example.com/avery"])
        );
    }

    #[test]
    fn the_requester_is_who_last_moved_into_the_trigger_stage() {
        let order = || {
            let b = body(
                CANDIDATE_STAGE_CHANGE,
                json!({"opportunityId": OPP, "toStageId": STAGE}),
            );
            let InboundEvent::OrderReceived(o) =
                webhook_to_event(CANDIDATE_STAGE_CHANGE, &b, Some(&stages())).unwrap()
            else {
                panic!("not an order")
            };
            *o
        };
        let mut opp = opportunity();
        opp.stage_changes = serde_json::from_value(json!([
            {"toStageId": STAGE, "userId": "u-into-stage", "updatedAt": 1},
            {"toStageId": "other", "userId": "u-elsewhere", "updatedAt": 2}
        ]))
        .unwrap();
        let mut o = order();
        enrich_order(&mut o, &opp, None);
        assert_eq!(
            o.requested_by,
            Some(Person {
                id: Some("u-into-stage".into()),
                ..Person::default()
            })
        );
        // without the trigger stage in the context nobody is the requester
        let mut o = order();
        o.context.remove(CTX_STAGE_ID);
        enrich_order(&mut o, &opp, None);
        assert_eq!(o.requested_by, None);
    }

    #[test]
    fn a_job_without_its_posting_keeps_the_posting_id() {
        let b = body(
            CANDIDATE_STAGE_CHANGE,
            json!({"opportunityId": OPP, "toStageId": STAGE}),
        );
        let InboundEvent::OrderReceived(mut o) =
            webhook_to_event(CANDIDATE_STAGE_CHANGE, &b, Some(&stages())).unwrap()
        else {
            panic!("not an order")
        };
        enrich_order(&mut o, &opportunity(), None);
        assert_eq!(
            o.job,
            Some(Job {
                id: Some("8d116ece-1738-47d9-bd9c-172411e20b8f".into()),
                ..Job::default()
            })
        );
    }

    #[test]
    fn blockers() {
        let mut o = opportunity();
        o.is_anonymized = Some(true);
        assert_eq!(
            order_blocker(&o, STAGE).as_deref(),
            Some("the opportunity is anonymized")
        );
        let mut o = opportunity();
        o.emails = vec![" ".into()];
        assert_eq!(
            order_blocker(&o, STAGE).as_deref(),
            Some("the opportunity has no e-mail address")
        );
        let o = opportunity();
        assert!(
            order_blocker(&o, "elsewhere")
                .unwrap()
                .contains("has left stage")
        );
        let mut o = opportunity();
        o.archived_at = Some(crate::wire::Millis(1));
        assert_eq!(
            order_blocker(&o, STAGE).as_deref(),
            Some("the opportunity is archived")
        );
    }

    #[test]
    fn names_are_split_at_the_first_space() {
        assert_eq!(
            split_name(Some(" Avery  Quill ")),
            (Some("Avery".into()), Some("Quill".into()))
        );
        assert_eq!(
            split_name(Some("Mary Ann van der Berg")),
            (Some("Mary".into()), Some("Ann van der Berg".into()))
        );
        assert_eq!(split_name(Some("Cher")), (Some("Cher".into()), None));
        assert_eq!(split_name(Some("  ")), (None, None));
    }

    #[test]
    fn tags_replace_the_previous_status() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.grade = Some("B".into());
        assert_eq!(
            tags_to_add("Acme assessment", &r),
            ["Acme assessment: completed", "Acme assessment: grade B"]
        );
        assert_eq!(
            tags_to_remove("Acme assessment", AssessmentStatus::Completed),
            [
                "Acme assessment: invited",
                "Acme assessment: in progress",
                "Acme assessment: cancelled",
                "Acme assessment: expired",
                "Acme assessment: error"
            ]
        );
        for s in STATUSES {
            let removed = tags_to_remove("P", s);
            assert_eq!(removed.len(), 5);
            assert!(!removed.contains(&status_tag("P", s)));
        }
    }

    fn handle() -> OrderHandle {
        serde_json::from_value(json!({
            "provider": "lever", "tenant": "acme", "provider_order_id": OPP,
            "vendor_assessment_id": "asm_7Q2K9", "context": {"opportunity_id": OPP}
        }))
        .unwrap()
    }

    #[test]
    fn note_for_a_completed_result() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.score = Some(Score::out_of(81.5, 100.0));
        r.grade = Some("B".into());
        r.passed = Some(true);
        r.summary = Some("Strong on\nalgorithms; ask @jordan about tests".into());
        r.sections = vec![
            Section {
                id: "coding".into(),
                label: "Coding".into(),
                score: Some(Score::out_of(88.0, 100.0)),
                passed: Some(true),
                summary: None,
            },
            Section {
                id: "comm".into(),
                label: "Communication".into(),
                score: None,
                passed: None,
                summary: Some("clear".into()),
            },
        ];
        r.attributes = vec![Attribute {
            id: "time".into(),
            label: "Time taken (min)".into(),
            value: AttributeValue::Number(42.0),
        }];
        r.completed_at = Some("2026-01-05T12:00:00Z".parse().unwrap());
        r.report_url = Some(Url::parse("https://vendor.example.com/reports/asm_7Q2K9").unwrap());
        assert_eq!(
            note_text("Acme assessment", &handle(), &r).unwrap(),
            "Acme assessment: completed\n\
             Score: 81.5/100 (81.5%)\n\
             Grade: B\n\
             Result: passed\n\
             Summary: Strong on algorithms; ask ＠jordan about tests\n\
             Sections:\n\
             - Coding: 88/100, passed\n\
             - Communication: clear\n\
             Time taken (min): 42\n\
             Finished: 2026-01-05T12:00:00Z\n\
             Report: https://vendor.example.com/reports/asm_7Q2K9\n\
             Ref: asm_7Q2K9"
        );
    }

    #[test]
    fn note_only_for_final_statuses() {
        let r = AssessmentResult::with_status(AssessmentStatus::InProgress);
        assert_eq!(note_text("P", &handle(), &r), None);
        let mut r = AssessmentResult::with_status(AssessmentStatus::Expired);
        r.status_reason = Some("the invitation ran out".into());
        assert_eq!(
            note_text("P", &handle(), &r).unwrap(),
            "P: expired\nReason: the invitation ran out\nRef: asm_7Q2K9"
        );
    }

    #[test]
    fn sanitize_neutralises_mentions_only() {
        assert_eq!(
            sanitize("@ann and bob@example.com (@cat)"),
            "＠ann and bob@example.com (＠cat)"
        );
        assert_eq!(sanitize("a\n\tb"), "a b");
    }

    #[test]
    fn target_prefers_context() {
        assert_eq!(target_opportunity(&handle()).unwrap(), OPP);
        let mut h = handle();
        h.context.clear();
        assert_eq!(target_opportunity(&h).unwrap(), OPP);
        h.provider_order_id = None;
        assert!(matches!(target_opportunity(&h), Err(Error::Config { .. })));
    }

    #[test]
    fn numbers() {
        assert_eq!(number(82.0), "82");
        assert_eq!(number(81.25), "81.25");
        assert_eq!(number(1.0 / 3.0), "0.33");
        assert_eq!(number(f64::NAN), "?");
    }

    #[test]
    fn whole_numbers_go_through_i64_only_below_9e15() {
        // the two-decimal path would write `-0`; the i64 path saturates
        assert_eq!(number(-0.0), "0");
        assert_eq!(number(1e20), "100000000000000000000");
        assert_eq!(number(-1e20), "-100000000000000000000");
        assert_eq!(number(9.0e15), "9000000000000000");
    }

    #[test]
    fn a_note_score_is_off_only_without_grades_and_pass_fail() {
        assert!(NoteScore::off().is_off());
        assert!(NoteScore::default().is_off());
        assert!(!NoteScore::pass_fail(4, 1).is_off());
        assert!(!NoteScore::off().grade("A", 4).is_off());
        let passed_only = NoteScore {
            passed: Some(3),
            ..NoteScore::default()
        };
        assert!(!passed_only.is_off());
        let failed_only = NoteScore {
            failed: Some(2),
            ..NoteScore::default()
        };
        assert!(!failed_only.is_off());
    }
}
