//! Pure translation between StackOne's wire structs and the core model.
//!
//! ## Status mapping
//!
//! Results go back in `result.value` (an open enum) with the vendor's own
//! label in `result.source_value`:
//!
//! | core [`AssessmentStatus`] | `result.value` | `result.source_value` |
//! |---|---|---|
//! | `invited` | `initiated` | `invited` |
//! | `in_progress` | `in_progress` | `in_progress` |
//! | `completed`, `passed` unset | `completed` | the grade, else `completed` |
//! | `completed`, `passed: true` | `passed` | the grade, else `completed` |
//! | `completed`, `passed: false` | `failed` | the grade, else `completed` |
//! | `cancelled` | `cancelled` | `cancelled` |
//! | `expired` | `expired` | `expired` |
//! | `error` | `cancelled` | `error` |
//!
//! StackOne has no value for an assessment that could not be carried out;
//! `failed` would tell the recruiter the candidate failed, so `error` is
//! sent as `cancelled`, with the vendor's reason in `summary`.
//!
//! Read the other way ([`status_from_result_value`]):
//!
//! | `result.value` | core status | `passed` |
//! |---|---|---|
//! | `initiated` | `invited` | – |
//! | `in_progress` | `in_progress` | – |
//! | `completed` | `completed` | – |
//! | `passed` | `completed` | `true` |
//! | `failed` | `completed` | `false` |
//! | `cancelled` | `cancelled` | – |
//! | `expired` | `expired` | – |
//! | `unmapped_value`, anything else | none (unknown) | – |
//!
//! ## Result fields
//!
//! `score` → `{label: "Score", value, min, max}` as decimal strings (`"86"`,
//! `"7.5"`); `report_url` → `result_url`; `candidate_profile_url` →
//! `candidate.profile_url`, with the order's StackOne candidate id as
//! `candidate.id`; `extensions.stackone.passthrough` → `passthrough`; `started_at` → `start_date`,
//! `completed_at` → `submission_date` (`2026-03-02T09:02:17.000Z`);
//! `attachments` (by URL only) → `attachments` with `content_type.value` ∈
//! `pdf`, `text`, `video`, `other` and the MIME type as `source_value`. The
//! body has no place for sections, attributes or a status reason, so
//! `summary` carries the vendor's summary followed by one line each for the
//! reason, the sections and the attributes.
//!
//! ## Orders
//!
//! A webhook names the order (`record_id`, else `data.id` / `event_data.id`,
//! else `record_remote_id`), the linked account (`account_id`, the tenant),
//! the package (`package.id`) and the candidate, application and job by id
//! (`candidate_id` or `candidate.id`, …), in `data` or in `event_data`.
//! [`webhook_to_order`] builds the order from what the delivery carries;
//! [`apply_application`], [`apply_candidate`] and [`apply_job`] merge in the
//! records fetched afterwards (fetched values win, nothing known is lost).

use ats_core::codec::trimmed;
use ats_core::codec::{at_most_at, check_result_items, json_number, non_blank, non_blank_str};
use ats_core::codec::{decode_json, decode_json_object, decode_json_with_raw, required_string};
use ats_core::{
    Application, AssessmentOrder, AssessmentResult, AssessmentStatus, AttachmentSource,
    AttributeValue, Candidate, Email, Error, Ignored, Job, Location, OrderedPackage, Package,
    PackageKind, PackagesRequest, Person, Phone, RawJson, RejectReason, Rejection,
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::wire::{
    ApplicationRecord, AssessmentPackage, AssessmentPackagesPage, BackgroundCheckPackageBody,
    BackgroundCheckTest, CandidateRecord, EmailAddress, EnumValue, EventName, EventSummary,
    HiringTeamMember, JobRecord, OrderRecord, PhoneNumber, ResultAttachment, ResultCandidate,
    ResultScore, ResultUpdate, WebhookAck, WebhookEnvelope,
};

/// The adapter's name.
pub const PROVIDER: &str = "stackone";

/// The key of [`AssessmentOrder::context`] that says which result endpoint
/// an order's results go to (`"assessment"` or `"background_check"`).
pub const ORDER_TYPE: &str = "order_type";

/// The `score.label` sent with every score.
pub const SCORE_LABEL: &str = "Score";

/// Which kind of StackOne order: assessments and background checks have
/// separate result endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderType {
    /// An assessment order (`ats_assessments.created`); results go to
    /// `PATCH /unified/ats/assessments/orders/{id}/result`.
    Assessment,
    /// A background-check order (`background_check_order.created`); results
    /// go to `PATCH /unified/ats/background_checks/orders/{id}/result`.
    BackgroundCheck,
}

impl OrderType {
    /// The value stored under [`ORDER_TYPE`] in the order's context.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Assessment => "assessment",
            Self::BackgroundCheck => "background_check",
        }
    }

    /// The kind of package ordered.
    pub fn package_kind(self) -> PackageKind {
        match self {
            Self::Assessment => PackageKind::Other,
            Self::BackgroundCheck => PackageKind::BackgroundCheck,
        }
    }

    /// Reads the order type back from an order's (or handle's) context. An
    /// absent value means an assessment; an unknown one is a configuration
    /// error (the handle was not made by this adapter).
    pub fn from_context(context: &Map<String, Value>) -> Result<Self, Error> {
        match context.get(ORDER_TYPE) {
            None | Some(Value::Null) => Ok(Self::Assessment),
            Some(Value::String(s)) if s == "assessment" => Ok(Self::Assessment),
            Some(Value::String(s)) if s == "background_check" => Ok(Self::BackgroundCheck),
            Some(other) => Err(Error::config(format!(
                "unknown StackOne order type {other} in the order's context"
            ))),
        }
    }
}

/// The packages endpoint carries no payload: it asks for the tenant's
/// packages.
pub fn packages_request() -> PackagesRequest {
    PackagesRequest {
        provider: PROVIDER.to_owned(),
        tenant: None,
    }
}

/// Renders packages as StackOne's list-packages response: every package on
/// one page (`next: null`), `id` and `remote_id` both the vendor's id.
pub fn packages_page(packages: &[Package]) -> AssessmentPackagesPage {
    AssessmentPackagesPage {
        data: packages
            .iter()
            .map(|p| AssessmentPackage {
                id: Some(p.id.clone()),
                remote_id: Some(p.id.clone()),
                name: Some(p.name.clone()),
                description: p.description.clone(),
            })
            .collect(),
        next: None,
    }
}

/// The event name of a webhook delivery, for routing.
pub fn event_name(body: &[u8]) -> Result<String, Error> {
    let e: EventName = decode_json_object(body)?;
    Ok(e.event)
}

/// Translates a delivery this adapter does not act on into
/// [`Ignored`], keeping the account as tenant where the delivery names one.
pub fn ignored_event(body: &[u8]) -> Result<Ignored, Error> {
    let e: EventSummary = decode_json_object(body)?;
    let event_type = non_blank(e.event).unwrap_or_else(|| "unknown".to_owned());
    Ok(Ignored {
        provider: PROVIDER.to_owned(),
        tenant: non_blank(e.account_id).map(ats_core::TenantId::new),
        reason: format!("`{event_type}` needs nothing from the vendor"),
        event_type,
    })
}

/// Translates an `ats_assessments.created` or
/// `background_check_order.created` delivery into an order, from what the
/// delivery itself carries (see the module docs).
///
/// Required: `account_id` (it must fit in an HTTP header: it is sent back as
/// `x-account-id`), an order id and a package id. `received_at` is the
/// delivery's `event_date` (else `sent_at`) when it parses, else the
/// arrival time given.
pub fn webhook_to_order(
    body: &[u8],
    order_type: OrderType,
    received_at: DateTime<Utc>,
) -> Result<AssessmentOrder, Error> {
    let (mut env, raw): (WebhookEnvelope, RawJson) = decode_json_with_raw(body)?;
    let account_id = required_string(env.account_id, "account_id")?;
    if !account_id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::malformed(
            "account_id",
            "an account id is visible ASCII without spaces",
        ));
    }
    // the values below are moved out of the records, the first record
    // that has one winning
    let mut records: Vec<(&str, &mut OrderRecord)> = [
        ("data", env.data.as_mut()),
        ("event_data", env.event_data.as_mut()),
    ]
    .into_iter()
    .filter_map(|(name, r)| r.map(|r| (name, r)))
    .collect();
    // paths are written only for a refusal: `format!` on every order costs
    for (at, r) in &records {
        if let Some(team) = r.job.as_ref().and_then(|j| j.hiring_team.as_ref()) {
            at_most_at(team, || format!("{at}.job.hiring_team"))?;
        }
        if let Some(emails) = r.candidate.as_ref().and_then(|c| c.emails.as_ref()) {
            at_most_at(emails, || format!("{at}.candidate.emails"))?;
        }
    }

    let provider_order_id = non_blank(env.record_id)
        .or_else(|| first(&mut records, |r| r.id.take()))
        .or_else(|| non_blank_str(env.record_remote_id.as_deref()).map(str::to_owned))
        .ok_or_else(|| Error::missing("record_id"))?;

    let mut package = records.iter_mut().find_map(|(_, r)| {
        r.package.take_if(|p| {
            non_blank_str(p.id.as_deref()).is_some()
                || non_blank_str(p.remote_id.as_deref()).is_some()
        })
    });
    let package_id = package
        .as_mut()
        .and_then(|p| non_blank(p.id.take()).or_else(|| non_blank(p.remote_id.take())))
        .ok_or_else(|| {
            let at = records.first().map_or("data", |(name, _)| name);
            Error::missing(format!("{at}.package.id"))
        })?;

    let candidate_remote_id = first(&mut records, |r| {
        r.candidate.as_mut().and_then(|c| c.remote_id.take())
    });
    let candidate_id = first(&mut records, |r| {
        non_blank(r.candidate_id.take()).or_else(|| r.candidate.as_mut().and_then(|c| c.id.take()))
    });
    let order_candidate = records
        .iter_mut()
        .find_map(|(_, r)| r.candidate.take())
        .unwrap_or_default();
    let candidate = Candidate {
        remote_id: candidate_remote_id,
        id: candidate_id,
        first_name: non_blank(order_candidate.first_name),
        last_name: non_blank(order_candidate.last_name),
        preferred_name: None,
        emails: owned_emails(order_candidate.emails),
        phones: Vec::new(),
        location: None,
        profile_url: non_blank(order_candidate.profile_url),
        resume_url: None,
    };

    let application_id = first(&mut records, |r| {
        non_blank(r.application_id.take())
            .or_else(|| r.application.as_mut().and_then(|a| a.id.take()))
    });
    let application_status = records
        .iter()
        .find_map(|(_, r)| {
            r.application
                .as_ref()
                .and_then(|a| enum_text(a.application_status.as_ref()))
        })
        .map(str::to_owned);
    let application_remote_id = first(&mut records, |r| {
        r.application.as_mut().and_then(|a| a.remote_id.take())
    });
    let application = (application_id.is_some()
        || application_status.is_some()
        || application_remote_id.is_some())
    .then_some(Application {
        id: application_id,
        remote_id: application_remote_id,
        status: application_status,
        url: None,
    });

    let job_remote_id = first(&mut records, |r| {
        r.job.as_mut().and_then(|j| j.remote_id.take())
    });
    let job_id = first(&mut records, |r| {
        non_blank(r.job_id.take()).or_else(|| r.job.as_mut().and_then(|j| j.id.take()))
    });
    let order_job = records
        .iter_mut()
        .find_map(|(_, r)| r.job.take())
        .unwrap_or_default();
    let job = Job {
        remote_id: job_remote_id,
        description: None,
        id: job_id,
        name: non_blank(order_job.title),
        requisition_id: None,
        url: None,
        location: None,
        hiring_team: order_job
            .hiring_team
            .into_iter()
            .flatten()
            .filter_map(person)
            .collect(),
    };

    let requested_by = records
        .iter_mut()
        .find_map(|(_, r)| r.requester.take().and_then(person));

    let mut extras = Map::new();
    let mut extra = |key: &str, value: Option<String>| {
        if let Some(v) = non_blank(value) {
            extras.insert(key.to_owned(), Value::String(v));
        }
    };
    extra("ats_provider", env.provider);
    extra(
        "order_remote_id",
        non_blank(env.record_remote_id).or_else(|| first(&mut records, |r| r.remote_id.take())),
    );
    extra(
        "results_update_url",
        first(&mut records, |r| r.results_update_url.take()),
    );

    let mut context = Map::new();
    context.insert(
        ORDER_TYPE.to_owned(),
        Value::String(order_type.as_str().to_owned()),
    );

    Ok(AssessmentOrder {
        provider: PROVIDER.to_owned(),
        tenant: Some(ats_core::TenantId::new(account_id)),
        provider_order_id: Some(provider_order_id),
        package_id,
        package: package
            .map(|p| OrderedPackage {
                name: non_blank(p.name.map(trimmed)),
                description: non_blank(p.description),
                kind: None,
            })
            .filter(|p| !p.is_empty()),
        candidate,
        application,
        job: (job != Job::default()).then_some(job),
        requested_by,
        callback_url: None,
        received_at: timestamp(env.event_date.as_deref())
            .or_else(|| timestamp(env.sent_at.as_deref()))
            .unwrap_or(received_at),
        context,
        extras,
        raw,
    })
}

/// The first non-blank value `take` moves out of the records of a
/// delivery, in their order (blank ones before it are dropped).
fn first(
    records: &mut [(&str, &mut OrderRecord)],
    mut take: impl FnMut(&mut OrderRecord) -> Option<String>,
) -> Option<String> {
    records.iter_mut().find_map(|(_, r)| non_blank(take(r)))
}

/// Merges a fetched application into an order: its id and status, the
/// candidate and job ids it names when the order lacks them, and the inline
/// candidate's names, addresses and numbers where the order has none.
pub fn apply_application(order: &mut AssessmentOrder, record: &ApplicationRecord) {
    let application = order.application.get_or_insert_with(Application::default);
    if let Some(id) = non_blank(record.id.clone()) {
        application.id = Some(id);
    }
    if let Some(status) = enum_text(record.application_status.as_ref()) {
        application.status = Some(status.to_owned());
    }
    if let Some(remote_id) = non_blank(record.remote_id.clone()) {
        application.remote_id = Some(remote_id);
    }
    let candidate = &mut order.candidate;
    if candidate.id.is_none() {
        candidate.id = non_blank(record.candidate_id.clone());
    }
    if candidate.remote_id.is_none() {
        candidate.remote_id = non_blank(record.remote_candidate_id.clone());
    }
    if let Some(inline) = &record.candidate {
        if candidate.first_name.is_none() {
            candidate.first_name = non_blank(inline.first_name.clone());
        }
        if candidate.last_name.is_none() {
            candidate.last_name = non_blank(inline.last_name.clone());
        }
        if candidate.emails.is_empty() {
            candidate.emails = emails(inline.email.as_deref(), inline.emails.as_deref());
        }
        if candidate.phones.is_empty() {
            candidate.phones = phones(None, inline.phone_numbers.as_deref());
        }
    }
    let job_id = non_blank(record.job_id.clone());
    let job_remote_id = non_blank(record.remote_job_id.clone());
    if job_id.is_some() || job_remote_id.is_some() {
        let job = order.job.get_or_insert_with(Job::default);
        if job.id.is_none() {
            job.id = job_id;
        }
        if job.remote_id.is_none() {
            job.remote_id = job_remote_id;
        }
    }
}

/// Merges a fetched candidate into an order. Fetched names, numbers and
/// country win; e-mail addresses are the record's (`email` first, then
/// `emails`) followed by any the order already had.
pub fn apply_candidate(order: &mut AssessmentOrder, record: &CandidateRecord) {
    let c = &mut order.candidate;
    if let Some(id) = non_blank(record.id.clone()) {
        c.id = Some(id);
    }
    if let Some(remote_id) = non_blank(record.remote_id.clone()) {
        c.remote_id = Some(remote_id);
    }
    if let Some(v) = non_blank(record.first_name.clone()) {
        c.first_name = Some(v);
    }
    if let Some(v) = non_blank(record.last_name.clone()) {
        c.last_name = Some(v);
    }
    let mut addresses = emails(record.email.as_deref(), record.emails.as_deref());
    for e in c.emails.drain(..) {
        if !addresses
            .iter()
            .any(|a| a.address.eq_ignore_ascii_case(&e.address))
        {
            addresses.push(e);
        }
    }
    c.emails = addresses;
    let numbers = phones(record.phone.as_deref(), record.phone_numbers.as_deref());
    if !numbers.is_empty() {
        c.phones = numbers;
    }
    if let Some(country) = non_blank(record.country.clone()) {
        let location = c.location.get_or_insert_with(Location::default);
        location.country = Some(country);
    }
}

/// Merges a fetched job into an order: id, title, code (as requisition id)
/// and hiring team.
pub fn apply_job(order: &mut AssessmentOrder, record: &JobRecord) {
    let job = order.job.get_or_insert_with(Job::default);
    if let Some(id) = non_blank(record.id.clone()) {
        job.id = Some(id);
    }
    if let Some(remote_id) = non_blank(record.remote_id.clone()) {
        job.remote_id = Some(remote_id);
    }
    if let Some(title) = non_blank(record.title.clone()) {
        job.name = Some(title);
    }
    if let Some(code) = non_blank(record.code.clone()) {
        job.requisition_id = Some(code);
    }
    let team = record
        .hiring_team
        .as_deref()
        .map(people)
        .unwrap_or_default();
    if !team.is_empty() {
        job.hiring_team = team;
    }
}

/// The webhook answer for an accepted order.
pub fn accepted_ack() -> WebhookAck {
    WebhookAck {
        status: "accepted".to_owned(),
        reason: None,
        message: None,
    }
}

/// The webhook answer for a rejected order (see
/// [`rejection_result`] for telling the ATS).
pub fn rejected_ack(rejection: &Rejection) -> WebhookAck {
    WebhookAck {
        status: "rejected".to_owned(),
        reason: Some(reject_reason(rejection.reason).to_owned()),
        message: Some(rejection.message.clone()),
    }
}

/// The webhook answer for a delivery with nothing to do.
pub fn acknowledged_ack() -> WebhookAck {
    WebhookAck {
        status: "acknowledged".to_owned(),
        reason: None,
        message: None,
    }
}

fn reject_reason(reason: RejectReason) -> &'static str {
    match reason {
        RejectReason::UnknownPackage => "unknown_package",
        RejectReason::AlreadyAssessed => "already_assessed",
        RejectReason::InvalidCandidate => "invalid_candidate",
        RejectReason::QuotaExceeded => "quota_exceeded",
        RejectReason::Other => "other",
    }
}

/// The result that tells the ATS an order was refused: StackOne's webhooks
/// carry no answer, so a refusal reaches the recruiter as a `cancelled`
/// result whose summary is the vendor's message. Submit it with the order's
/// handle.
pub fn rejection_result(rejection: &Rejection) -> AssessmentResult {
    let mut result = AssessmentResult::with_status(AssessmentStatus::Cancelled);
    result.status_reason = Some(rejection.message.clone());
    result
}

/// `result.value` for a core status (see the module docs).
pub fn result_value(status: AssessmentStatus, passed: Option<bool>) -> &'static str {
    match (status, passed) {
        (AssessmentStatus::Invited, _) => "initiated",
        (AssessmentStatus::InProgress, _) => "in_progress",
        (AssessmentStatus::Completed, Some(true)) => "passed",
        (AssessmentStatus::Completed, Some(false)) => "failed",
        (AssessmentStatus::Completed, None) => "completed",
        (AssessmentStatus::Cancelled | AssessmentStatus::Error, _) => "cancelled",
        (AssessmentStatus::Expired, _) => "expired",
    }
}

/// The core status (and pass/fail) a `result.value` stands for; `None` for
/// `unmapped_value` and values this adapter does not know.
pub fn status_from_result_value(value: &str) -> Option<(AssessmentStatus, Option<bool>)> {
    Some(match value {
        "initiated" => (AssessmentStatus::Invited, None),
        "in_progress" => (AssessmentStatus::InProgress, None),
        "completed" => (AssessmentStatus::Completed, None),
        "passed" => (AssessmentStatus::Completed, Some(true)),
        "failed" => (AssessmentStatus::Completed, Some(false)),
        "cancelled" => (AssessmentStatus::Cancelled, None),
        "expired" => (AssessmentStatus::Expired, None),
        _ => return None,
    })
}

/// Renders a result as the body of either result update (see the module
/// docs).
///
/// Refused ([`Error::Config`]): a score that is not a finite number, and an
/// attachment given inline (StackOne takes attachments by URL only).
pub fn result_update(
    result: &AssessmentResult,
    candidate_id: Option<&str>,
) -> Result<ResultUpdate, Error> {
    check_result_items(result)?;
    let source_value = match (&result.status, &result.grade) {
        (AssessmentStatus::Completed, Some(grade)) if !grade.trim().is_empty() => grade.clone(),
        (status, _) => status.as_str().to_owned(),
    };
    let score = match result.score {
        Some(s) => Some(ResultScore {
            label: Some(SCORE_LABEL.to_owned()),
            value: Some(decimal(s.value)?),
            min: s.min.map(decimal).transpose()?,
            max: s.max.map(decimal).transpose()?,
        }),
        None => None,
    };
    let mut attachments = Vec::with_capacity(result.attachments.len());
    for a in &result.attachments {
        let url = match &a.source {
            AttachmentSource::Url { url } => url,
            AttachmentSource::Inline { .. } => {
                return Err(Error::config(format!(
                    "StackOne takes attachments by URL only; `{}` is inline",
                    a.name
                )));
            }
        };
        attachments.push(ResultAttachment {
            url: Some(url.to_string()),
            content_type: Some(EnumValue {
                value: Some(content_type_value(a.content_type.as_deref(), &a.name).to_owned()),
                source_value: a.content_type.clone().map(Value::String),
            }),
        });
    }
    Ok(ResultUpdate {
        result: Some(EnumValue {
            value: Some(result_value(result.status, result.passed).to_owned()),
            source_value: Some(Value::String(source_value)),
        }),
        score,
        result_url: result.report_url.as_ref().map(ToString::to_string),
        start_date: result.started_at.map(iso_millis),
        submission_date: result.completed_at.map(iso_millis),
        summary: summary(result)?,
        attachments: (!attachments.is_empty()).then_some(attachments),
        candidate: result
            .candidate_profile_url
            .as_ref()
            .map(|page| ResultCandidate {
                id: candidate_id
                    .filter(|id| !id.trim().is_empty())
                    .map(str::to_owned),
                profile_url: Some(page.to_string()),
            }),
        passthrough: passthrough(result)?,
    })
}

/// The key of [`AssessmentResult::extensions`] this adapter reads.
pub const EXTENSION: &str = PROVIDER;

/// `passthrough` from the result's `extensions.stackone`: an object whose
/// only key is `passthrough`, itself an object (forwarded to the ATS as
/// is). Anything else is refused ([`Error::Config`]) rather than dropped.
fn passthrough(result: &AssessmentResult) -> Result<Option<Map<String, Value>>, Error> {
    let Some(ext) = result.extension(EXTENSION) else {
        return Ok(None);
    };
    let bad = |what: &str| Error::config(format!("extensions.{EXTENSION}: {what}"));
    let Value::Object(ext) = ext else {
        return Err(bad("must be an object such as {\"passthrough\": {...}}"));
    };
    if let Some(key) = ext.keys().find(|k| k.as_str() != "passthrough") {
        return Err(bad(&format!(
            "`{key}` is not a field this adapter sends (only `passthrough`)"
        )));
    }
    match ext.get("passthrough") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map.clone())),
        Some(_) => Err(bad("`passthrough` must be an object")),
    }
}

/// `summary`: the vendor's summary, then the status reason, the sections and
/// the attributes, one per line.
fn summary(result: &AssessmentResult) -> Result<Option<String>, Error> {
    let mut lines: Vec<String> = Vec::new();
    if let Some(s) = result.summary.as_deref().filter(|s| !s.trim().is_empty()) {
        lines.push(s.to_owned());
    }
    if let Some(r) = result
        .status_reason
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        lines.push(format!("Reason: {r}"));
    }
    for s in &result.sections {
        let mut line = s.label.clone();
        let mut parts = Vec::new();
        if let Some(score) = s.score {
            parts.push(match score.max {
                Some(max) => format!("{}/{}", decimal(score.value)?, decimal(max)?),
                None => decimal(score.value)?,
            });
        }
        if let Some(passed) = s.passed {
            parts.push(if passed { "passed" } else { "failed" }.to_owned());
        }
        if let Some(text) = s.summary.as_deref().filter(|t| !t.trim().is_empty()) {
            parts.push(text.to_owned());
        }
        if !parts.is_empty() {
            line.push_str(": ");
            line.push_str(&parts.join(", "));
        }
        lines.push(line);
    }
    for a in &result.attributes {
        let value = match &a.value {
            AttributeValue::Number(n) => decimal(*n)?,
            other => other.to_string(),
        };
        lines.push(format!("{}: {value}", a.label));
    }
    Ok((!lines.is_empty()).then(|| lines.join("\n")))
}

/// `content_type.value` for an attachment: from its MIME type, else from its
/// file name's extension.
pub fn content_type_value(mime: Option<&str>, name: &str) -> &'static str {
    let mime = mime.map(|m| {
        m.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    });
    match mime.as_deref() {
        Some("application/pdf") => return "pdf",
        Some(m) if m.starts_with("text/") => return "text",
        Some(m) if m.starts_with("video/") => return "video",
        Some(_) => return "other",
        None => {}
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "pdf",
        "txt" | "md" | "html" | "htm" | "csv" => "text",
        "mp4" | "webm" | "mov" | "mkv" | "avi" => "video",
        _ => "other",
    }
}

/// The body of a background-check package create (`for_update: false`:
/// tests without ids) or update (`for_update: true`: test ids kept).
///
/// From the package: `name`, `description`, and from its extras `tests` (an
/// array of `{name, description?, id?}`) and `passthrough` (an object).
/// A package without a name, or extras of the wrong shape, is refused with
/// [`Error::Config`].
pub fn package_body(
    package: &Package,
    for_update: bool,
) -> Result<BackgroundCheckPackageBody, Error> {
    let bad =
        |what: &str| Error::config(format!("background-check package `{}`: {what}", package.id));
    if package.name.trim().is_empty() {
        return Err(bad("a name is required"));
    }
    let tests = match package.extras.get("tests") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let mut tests = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let Value::Object(item) = item else {
                    return Err(bad(&format!("extras.tests[{i}] is not an object")));
                };
                let text = |key: &str| match item.get(key) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) => Ok(Some(s.clone())),
                    Some(Value::Number(n)) if key == "id" => Ok(Some(n.to_string())),
                    Some(_) => Err(bad(&format!("extras.tests[{i}].{key} is not text"))),
                };
                let name = text("name")?.filter(|n| !n.trim().is_empty());
                if name.is_none() {
                    return Err(bad(&format!("extras.tests[{i}] has no name")));
                }
                tests.push(BackgroundCheckTest {
                    id: if for_update { text("id")? } else { None },
                    name,
                    description: text("description")?,
                });
            }
            Some(tests)
        }
        Some(_) => return Err(bad("extras.tests is not an array")),
    };
    let passthrough = match package.extras.get("passthrough") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(map.clone()),
        Some(_) => return Err(bad("extras.passthrough is not an object")),
    };
    Ok(BackgroundCheckPackageBody {
        name: Some(package.name.clone()),
        description: package.description.clone(),
        tests,
        passthrough,
    })
}

/// A time as StackOne writes it: ISO 8601 in UTC with milliseconds and `Z`.
pub fn iso_millis(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A number as StackOne's string-typed score fields expect it: whole numbers
/// without a fraction (`"86"`), others in shortest form (`"7.5"`).
pub fn decimal(n: f64) -> Result<String, Error> {
    json_number(n)
        .map(|n| n.to_string())
        .ok_or_else(|| Error::config(format!("score {n} is not a finite number")))
}

/// Decodes a StackOne record response body (`{"data": …}`).
pub fn record<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    decode_json::<crate::wire::RecordResponse<T>>(body).map(|r| r.data)
}

fn timestamp(text: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text?.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn enum_text(v: Option<&EnumValue>) -> Option<&str> {
    let v = v?;
    non_blank_str(v.value.as_deref()).or_else(|| match &v.source_value {
        Some(Value::String(s)) => non_blank_str(Some(s)),
        _ => None,
    })
}

/// Addresses from a single `email` and an `emails` list, in that order,
/// without blanks or duplicates (case-insensitive).
fn emails(single: Option<&str>, list: Option<&[EmailAddress]>) -> Vec<Email> {
    let list = list
        .unwrap_or_default()
        .iter()
        .filter_map(|e| Some((e.value.as_deref()?, e.r#type.as_deref())));
    email_list(single.map(|s| (s, None)).into_iter().chain(list))
}

/// [`emails`] for an `emails` list of its own, its text moved, not copied.
fn owned_emails(list: Option<Vec<EmailAddress>>) -> Vec<Email> {
    email_list(
        list.into_iter()
            .flatten()
            .filter_map(|e| Some((e.value?, e.r#type))),
    )
}

/// Addresses with their kinds, in order, trimmed, without blanks or
/// duplicates (case-insensitive; a duplicate may give the first its kind).
fn email_list<S: AsRef<str> + Into<String>>(
    items: impl IntoIterator<Item = (S, Option<S>)>,
) -> Vec<Email> {
    let mut out: Vec<Email> = Vec::new();
    for (address, kind) in items {
        let text = address.as_ref();
        let trimmed = text.trim();
        if trimmed.is_empty() {
            continue;
        }
        let kind = kind.filter(|k| !k.as_ref().trim().is_empty());
        match out
            .iter_mut()
            .find(|e| e.address.eq_ignore_ascii_case(trimmed))
        {
            Some(existing) => {
                if existing.kind.is_none() {
                    existing.kind = kind.map(Into::into);
                }
            }
            None => out.push(Email {
                address: ats_core::codec::trimmed(address.into()),
                kind: kind.map(Into::into),
            }),
        }
    }
    out
}

fn phones(single: Option<&str>, list: Option<&[PhoneNumber]>) -> Vec<Phone> {
    let mut out: Vec<Phone> = Vec::new();
    for p in list.unwrap_or_default() {
        if let Some(number) = non_blank(p.phone.clone())
            && !out.iter().any(|o| o.number == number)
        {
            out.push(Phone {
                number,
                kind: non_blank(p.r#type.clone()),
            });
        }
    }
    if let Some(number) = non_blank(single.map(str::to_owned))
        && !out.iter().any(|o| o.number == number)
    {
        out.push(Phone { number, kind: None });
    }
    out
}

fn person(m: HiringTeamMember) -> Option<Person> {
    let p = Person {
        id: non_blank(m.user_id),
        first_name: non_blank(m.first_name),
        last_name: non_blank(m.last_name),
        email: non_blank(m.email),
        roles: non_blank(m.role).into_iter().collect(),
    };
    (p != Person::default()).then_some(p)
}

/// [`person`] for each member of a borrowed hiring team (each one copied).
fn people(members: &[HiringTeamMember]) -> Vec<Person> {
    members.iter().cloned().filter_map(person).collect()
}
#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::{Attachment, Attribute, OrderedPackage, Score, Section, TenantId};
    use serde_json::json;
    use url::Url;

    fn at() -> DateTime<Utc> {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    fn body(v: Value) -> Vec<u8> {
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn order_from_event_data_references() {
        let v = json!({
            "event": "ats_assessments.created",
            "account_id": "acc_7Qm2xT9kLp",
            "provider": "greenhouse",
            "record_id": "asr_5Hc8Wd3Ne1",
            "record_remote_id": "91827",
            "event_date": "2026-03-02T09:00:05.000Z",
            "event_data": {
                "id": "asr_5Hc8Wd3Ne1",
                "candidate_id": "cnd_2Rb6Yf0Zq4",
                "application_id": "app_9Kt1Mv7Xs3",
                "package": {"id": "pkg_backend_rust_60", "name": "Backend Engineering"},
                "results_update_url": "https://ats.example.com/r/91827"
            }
        });
        let o = webhook_to_order(&body(v.clone()), OrderType::Assessment, at()).unwrap();
        assert_eq!(o.tenant, Some(TenantId::new("acc_7Qm2xT9kLp")));
        assert_eq!(o.provider_order_id.as_deref(), Some("asr_5Hc8Wd3Ne1"));
        assert_eq!(o.package_id, "pkg_backend_rust_60");
        assert_eq!(o.candidate.id.as_deref(), Some("cnd_2Rb6Yf0Zq4"));
        assert_eq!(
            o.application.as_ref().unwrap().id.as_deref(),
            Some("app_9Kt1Mv7Xs3")
        );
        assert_eq!(o.job, None);
        assert_eq!(
            o.received_at,
            "2026-03-02T09:00:05Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            o.context,
            json!({"order_type": "assessment"})
                .as_object()
                .unwrap()
                .clone()
        );
        assert_eq!(
            Value::Object(o.extras.clone()),
            json!({
                "ats_provider": "greenhouse",
                "order_remote_id": "91827",
                "results_update_url": "https://ats.example.com/r/91827"
            })
        );
        assert_eq!(o.callback_url, None);
        assert_eq!(o.raw, v);
    }

    #[test]
    fn order_from_embedded_order_object() {
        let v = json!({
            "account_id": "acc_1",
            "data": {
                "id": "bco_1",
                "package": {"remote_id": "bgp_1"},
                "application": {"id": "app_1", "application_status": {"value": "background_check", "source_value": "BG"}},
                "candidate": {"id": "cnd_1", "first_name": "Tomasz", "last_name": " ",
                              "emails": [{"type": "personal", "value": " t@example.com\n"}, {"value": "T@EXAMPLE.COM"}, {"type": "work", "value": "w@example.com"}],
                              "profile_url": "https://ats.example.com/p/1"},
                "job": {"id": "job_1", "title": "Engineer", "hiring_team": [{"user_id": "u1", "email": "h@example.org", "role": "hiring_manager"}, {}]},
                "requester": {"first_name": "Helen", "role": "recruiter"}
            }
        });
        let o = webhook_to_order(&body(v), OrderType::BackgroundCheck, at()).unwrap();
        assert_eq!(o.provider_order_id.as_deref(), Some("bco_1"));
        assert_eq!(o.package_id, "bgp_1");
        assert_eq!(o.candidate.last_name, None);
        // trimmed, a case-insensitive repeat dropped, each with its kind
        assert_eq!(
            o.candidate.emails,
            [
                Email {
                    address: "t@example.com".into(),
                    kind: Some("personal".into())
                },
                Email {
                    address: "w@example.com".into(),
                    kind: Some("work".into())
                }
            ]
        );
        assert_eq!(
            o.application.unwrap().status.as_deref(),
            Some("background_check")
        );
        let job = o.job.unwrap();
        assert_eq!(job.name.as_deref(), Some("Engineer"));
        assert_eq!(job.hiring_team.len(), 1);
        assert_eq!(job.hiring_team[0].roles, vec!["hiring_manager".to_owned()]);
        assert_eq!(o.requested_by.unwrap().first_name.as_deref(), Some("Helen"));
        assert_eq!(o.received_at, at());
        assert_eq!(o.context[ORDER_TYPE], "background_check");
    }

    #[test]
    fn the_ats_ids_and_the_package_description_are_kept() {
        let v = json!({
            "account_id": "acc_1",
            "record_id": "ord_1",
            "data": {
                "package": {"id": "pkg_1", "name": " Backend ", "description": "60 minutes"},
                "application": {"id": "app_1", "remote_id": "4471"},
                "candidate": {"id": "cnd_1", "remote_id": 9921},
                "job": {"id": "job_1", "remote_id": "ENG-77"}
            }
        });
        let mut o = webhook_to_order(&body(v), OrderType::Assessment, at()).unwrap();
        assert_eq!(o.candidate.remote_id.as_deref(), Some("9921"));
        assert_eq!(
            o.application.as_ref().unwrap().remote_id.as_deref(),
            Some("4471")
        );
        assert_eq!(o.job.as_ref().unwrap().remote_id.as_deref(), Some("ENG-77"));
        assert_eq!(
            o.package,
            Some(OrderedPackage {
                name: Some("Backend".into()),
                description: Some("60 minutes".into()),
                kind: None,
            })
        );
        assert!(!o.extras.contains_key("package_name"));
        // fetched records: their remote ids win over the order's
        let app: ApplicationRecord = serde_json::from_value(json!({
            "id": "app_1", "remote_id": "4472", "remote_candidate_id": "c-1", "remote_job_id": "j-1"
        }))
        .unwrap();
        let mut bare = order();
        apply_application(&mut bare, &app);
        assert_eq!(bare.candidate.remote_id.as_deref(), Some("c-1"));
        assert_eq!(bare.job.as_ref().unwrap().remote_id.as_deref(), Some("j-1"));
        assert_eq!(
            bare.application.as_ref().unwrap().remote_id.as_deref(),
            Some("4472")
        );
        let cand: CandidateRecord =
            serde_json::from_value(json!({"id": "cnd_1", "remote_id": "9922"})).unwrap();
        apply_candidate(&mut o, &cand);
        assert_eq!(o.candidate.remote_id.as_deref(), Some("9922"));
        let job: JobRecord =
            serde_json::from_value(json!({"id": "job_1", "remote_id": "ENG-78"})).unwrap();
        apply_job(&mut o, &job);
        assert_eq!(o.job.unwrap().remote_id.as_deref(), Some("ENG-78"));
    }

    #[test]
    fn order_requires_account_order_and_package() {
        let e = webhook_to_order(
            br#"{"record_id":"o","data":{"package":{"id":"p"}}}"#,
            OrderType::Assessment,
            at(),
        )
        .unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "account_id"),
            "{e}"
        );
        let e = webhook_to_order(
            br#"{"account_id":"a","data":{"package":{"id":"p"}}}"#,
            OrderType::Assessment,
            at(),
        )
        .unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "record_id"),
            "{e}"
        );
        let e = webhook_to_order(
            br#"{"account_id":"a","record_id":"o","event_data":{"package":{"id":" "}}}"#,
            OrderType::Assessment,
            at(),
        )
        .unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "event_data.package.id"),
            "{e}"
        );
        let e = webhook_to_order(
            br#"{"account_id":"a b","record_id":"o","data":{"package":{"id":"p"}}}"#,
            OrderType::Assessment,
            at(),
        )
        .unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "account_id"),
            "{e}"
        );
        let e = webhook_to_order(b"[]", OrderType::Assessment, at()).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "."),
            "{e}"
        );
        let e = webhook_to_order(
            br#"{"account_id":"a","data":"x"}"#,
            OrderType::Assessment,
            at(),
        )
        .unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "data"),
            "{e}"
        );
    }

    #[test]
    fn record_remote_id_is_the_last_resort_order_id() {
        let o = webhook_to_order(
            br#"{"account_id":"a","record_remote_id":"991","data":{"package":{"id":"p"}}}"#,
            OrderType::Assessment,
            at(),
        )
        .unwrap();
        assert_eq!(o.provider_order_id.as_deref(), Some("991"));
    }

    fn order() -> AssessmentOrder {
        webhook_to_order(
            br#"{"account_id":"a","record_id":"o","data":{"application_id":"app_1","package":{"id":"p"},
                 "candidate":{"emails":[{"value":"old@example.com"}]}}}"#,
            OrderType::Assessment,
            at(),
        )
        .unwrap()
    }

    #[test]
    fn application_fills_ids_and_status() {
        let mut o = order();
        let rec: ApplicationRecord = serde_json::from_value(json!({
            "id": "app_1", "candidate_id": "cnd_9", "job_id": "job_3",
            "application_status": {"value": "assessment", "source_value": "Technical Test"},
            "candidate": {"first_name": "Ana", "emails": [{"value": "x@example.com"}], "phone_numbers": [{"phone": "+1", "type": "mobile"}]}
        }))
        .unwrap();
        apply_application(&mut o, &rec);
        assert_eq!(o.candidate.id.as_deref(), Some("cnd_9"));
        assert_eq!(o.candidate.first_name.as_deref(), Some("Ana"));
        // the order's own address is kept
        assert_eq!(o.candidate.primary_email(), Some("old@example.com"));
        assert_eq!(o.candidate.phones[0].kind.as_deref(), Some("mobile"));
        assert_eq!(
            o.application.as_ref().unwrap().status.as_deref(),
            Some("assessment")
        );
        assert_eq!(o.job.as_ref().unwrap().id.as_deref(), Some("job_3"));
    }

    #[test]
    fn candidate_record_wins_and_merges_addresses() {
        let mut o = order();
        let rec: CandidateRecord = serde_json::from_value(json!({
            "id": "cnd_9", "first_name": "Tomasz", "last_name": "Okafor",
            "email": "tomasz@example.com",
            "emails": [{"type": "personal", "value": "tomasz@example.com"}, {"type": "work", "value": "t@work.example.com"}],
            "phone": "+44 1", "phone_numbers": [{"phone": "+44 2", "type": "mobile"}],
            "country": "United Kingdom"
        }))
        .unwrap();
        apply_candidate(&mut o, &rec);
        let c = &o.candidate;
        assert_eq!(c.id.as_deref(), Some("cnd_9"));
        let addresses: Vec<_> = c
            .emails
            .iter()
            .map(|e| (e.address.as_str(), e.kind.as_deref()))
            .collect();
        assert_eq!(
            addresses,
            [
                ("tomasz@example.com", Some("personal")),
                ("t@work.example.com", Some("work")),
                ("old@example.com", None)
            ]
        );
        let numbers: Vec<_> = c.phones.iter().map(|p| p.number.as_str()).collect();
        assert_eq!(numbers, ["+44 2", "+44 1"]);
        assert_eq!(
            c.location.as_ref().unwrap().country.as_deref(),
            Some("United Kingdom")
        );
    }

    #[test]
    fn job_record_sets_title_code_and_team() {
        let mut o = order();
        let rec: JobRecord = serde_json::from_value(json!({
            "id": "job_3", "code": "ENG-1", "title": "Engineer", "confidential": "false",
            "hiring_team": [{"user_id": "u1", "first_name": "Marta", "email": "m@example.org", "role": "recruiter"}]
        }))
        .unwrap();
        apply_job(&mut o, &rec);
        let j = o.job.unwrap();
        assert_eq!(
            (
                j.id.as_deref(),
                j.name.as_deref(),
                j.requisition_id.as_deref()
            ),
            (Some("job_3"), Some("Engineer"), Some("ENG-1"))
        );
        assert_eq!(j.hiring_team[0].email.as_deref(), Some("m@example.org"));
    }

    #[test]
    fn every_status_maps_both_ways() {
        use AssessmentStatus::*;
        let cases = [
            (Invited, None, "initiated"),
            (InProgress, None, "in_progress"),
            (Completed, None, "completed"),
            (Completed, Some(true), "passed"),
            (Completed, Some(false), "failed"),
            (Cancelled, None, "cancelled"),
            (Expired, None, "expired"),
            (Error, None, "cancelled"),
        ];
        for (status, passed, value) in cases {
            assert_eq!(result_value(status, passed), value, "{status:?}");
            let back = status_from_result_value(value).unwrap();
            if status != Error {
                assert_eq!(back, (status, passed), "{value}");
            } else {
                assert_eq!(back, (Cancelled, None));
            }
        }
        assert_eq!(status_from_result_value("unmapped_value"), None);
        assert_eq!(status_from_result_value("on_hold"), None);
    }

    #[test]
    fn result_body_matches_the_documented_example_shape() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.passed = Some(true);
        r.grade = Some("Recommended".into());
        r.score = Some(Score::out_of(86.0, 100.0));
        r.report_url = Some(Url::parse("https://tests.example.com/reports/8Jq3ZkV1").unwrap());
        r.started_at = Some("2026-03-02T09:02:17Z".parse().unwrap());
        r.completed_at = Some("2026-03-02T09:58:40.5Z".parse().unwrap());
        r.summary = Some("Strong async Rust.".into());
        r.attachments = vec![Attachment {
            name: "report.pdf".into(),
            content_type: Some("application/pdf".into()),
            source: AttachmentSource::Url {
                url: Url::parse("https://tests.example.com/reports/8Jq3ZkV1.pdf").unwrap(),
            },
        }];
        let v = serde_json::to_value(result_update(&r, None).unwrap()).unwrap();
        assert_eq!(
            v,
            json!({
                "result": {"value": "passed", "source_value": "Recommended"},
                "score": {"label": "Score", "value": "86", "max": "100"},
                "result_url": "https://tests.example.com/reports/8Jq3ZkV1",
                "start_date": "2026-03-02T09:02:17.000Z",
                "submission_date": "2026-03-02T09:58:40.500Z",
                "summary": "Strong async Rust.",
                "attachments": [{"url": "https://tests.example.com/reports/8Jq3ZkV1.pdf",
                                 "content_type": {"value": "pdf", "source_value": "application/pdf"}}]
            })
        );
    }

    #[test]
    fn score_minimum_candidate_page_and_passthrough_are_sent() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.score = Some(Score {
            value: 3.0,
            min: Some(-10.0),
            max: Some(10.0),
        });
        r.candidate_profile_url =
            Some(Url::parse("https://tests.example.com/candidates/c-77120").unwrap());
        r.extensions.insert(
            "stackone".into(),
            json!({"passthrough": {"vendor_attempt_id": "att-0009"}}),
        );
        r.extensions
            .insert("kombo".into(), json!({"remote_fields": {"x": 1}}));
        assert_eq!(
            serde_json::to_string(&result_update(&r, Some("cnd_2Rb6Yf0Zq4")).unwrap()).unwrap(),
            r#"{"result":{"value":"completed","source_value":"completed"},"score":{"label":"Score","value":"3","min":"-10","max":"10"},"candidate":{"id":"cnd_2Rb6Yf0Zq4","profile_url":"https://tests.example.com/candidates/c-77120"},"passthrough":{"vendor_attempt_id":"att-0009"}}"#
        );
        // no page: no candidate object, even with an id
        r.candidate_profile_url = None;
        assert_eq!(result_update(&r, Some("cnd_1")).unwrap().candidate, None);
        // what this adapter cannot send is refused, not dropped
        for bad in [
            json!("x"),
            json!({"passthrough": [1]}),
            json!({"pass_through": {}}),
        ] {
            r.extensions.insert("stackone".into(), bad.clone());
            let e = result_update(&r, None).unwrap_err();
            assert!(matches!(e, Error::Config { .. }), "{bad}: {e}");
        }
    }

    #[test]
    fn progress_update_is_small() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::InProgress);
        r.started_at = Some("2026-03-02T09:02:17Z".parse().unwrap());
        assert_eq!(
            serde_json::to_string(&result_update(&r, None).unwrap()).unwrap(),
            r#"{"result":{"value":"in_progress","source_value":"in_progress"},"start_date":"2026-03-02T09:02:17.000Z"}"#
        );
    }

    #[test]
    fn summary_carries_reason_sections_and_attributes() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Error);
        r.summary = Some("Proctoring failed.".into());
        r.status_reason = Some("camera unavailable".into());
        r.sections = vec![
            Section {
                id: "a".into(),
                label: "Algorithms".into(),
                score: Some(Score::out_of(3.0, 5.0)),
                passed: Some(true),
                summary: None,
            },
            Section {
                id: "b".into(),
                label: "Design".into(),
                score: Some(Score {
                    value: 2.5,
                    min: None,
                    max: None,
                }),
                passed: None,
                summary: Some("thin".into()),
            },
            Section {
                id: "c".into(),
                label: "Empty".into(),
                score: None,
                passed: None,
                summary: None,
            },
        ];
        r.attributes = vec![
            Attribute {
                id: "t".into(),
                label: "Time taken".into(),
                value: AttributeValue::Number(42.0),
            },
            Attribute {
                id: "p".into(),
                label: "Proctored".into(),
                value: AttributeValue::Bool(true),
            },
        ];
        let b = result_update(&r, None).unwrap();
        assert_eq!(
            b.summary.as_deref(),
            Some(
                "Proctoring failed.\nReason: camera unavailable\nAlgorithms: 3/5, passed\nDesign: 2.5, thin\nEmpty\nTime taken: 42\nProctored: true"
            )
        );
        assert_eq!(
            b.result.unwrap(),
            EnumValue {
                value: Some("cancelled".into()),
                source_value: Some(json!("error"))
            }
        );
    }

    #[test]
    fn unusable_results_are_refused() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.score = Some(Score {
            value: f64::NAN,
            min: None,
            max: None,
        });
        assert!(matches!(result_update(&r, None), Err(Error::Config { .. })));
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.attachments = vec![Attachment {
            name: "r.pdf".into(),
            content_type: None,
            source: AttachmentSource::Inline {
                data_base64: "AAE=".into(),
            },
        }];
        let e = result_update(&r, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "configuration error: StackOne takes attachments by URL only; `r.pdf` is inline"
        );
    }

    #[test]
    fn rejection_becomes_a_cancelled_result() {
        let r = rejection_result(&Rejection::new(
            RejectReason::UnknownPackage,
            "No such test.",
        ));
        let b = result_update(&r, None).unwrap();
        assert_eq!(b.result.unwrap().value.as_deref(), Some("cancelled"));
        assert_eq!(b.summary.as_deref(), Some("Reason: No such test."));
    }

    #[test]
    fn decimals_and_dates() {
        assert_eq!(decimal(86.0).unwrap(), "86");
        assert_eq!(decimal(-3.0).unwrap(), "-3");
        assert_eq!(decimal(7.5).unwrap(), "7.5");
        assert_eq!(decimal(0.1).unwrap(), "0.1");
        assert!(decimal(f64::INFINITY).is_err());
        assert_eq!(
            iso_millis("2026-03-02T10:01:00Z".parse().unwrap()),
            "2026-03-02T10:01:00.000Z"
        );
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type_value(Some("application/pdf"), "x"), "pdf");
        assert_eq!(
            content_type_value(Some("text/html; charset=utf-8"), "x"),
            "text"
        );
        assert_eq!(content_type_value(Some("video/mp4"), "x"), "video");
        assert_eq!(content_type_value(Some("image/png"), "x.pdf"), "other");
        assert_eq!(content_type_value(None, "Report.PDF"), "pdf");
        assert_eq!(content_type_value(None, "clip.webm"), "video");
        assert_eq!(content_type_value(None, "noext"), "other");
    }

    #[test]
    fn packages_page_uses_the_vendor_id_twice() {
        let p = packages_page(&[Package::new("rust-60", "Rust").with_description("60 min")]);
        assert_eq!(
            serde_json::to_value(p).unwrap(),
            json!({"data": [{"id": "rust-60", "remote_id": "rust-60", "name": "Rust", "description": "60 min"}], "next": null})
        );
    }

    #[test]
    fn package_bodies() {
        let mut p = Package::new("bg-uk", "Standard (UK)")
            .with_description("Identity and right to work")
            .with_kind(PackageKind::BackgroundCheck);
        p.extras.insert(
            "tests".into(),
            json!([{"id": "bgt_1", "name": "Identity", "description": "Document check"}, {"name": "Right to work"}]),
        );
        assert_eq!(
            serde_json::to_string(&package_body(&p, false).unwrap()).unwrap(),
            r#"{"name":"Standard (UK)","description":"Identity and right to work","tests":[{"name":"Identity","description":"Document check"},{"name":"Right to work"}]}"#
        );
        assert_eq!(
            serde_json::to_string(&package_body(&p, true).unwrap()).unwrap(),
            r#"{"name":"Standard (UK)","description":"Identity and right to work","tests":[{"id":"bgt_1","name":"Identity","description":"Document check"},{"name":"Right to work"}]}"#
        );
        p.extras
            .insert("passthrough".into(), json!({"region": "uk"}));
        assert_eq!(
            package_body(&p, true).unwrap().passthrough.unwrap()["region"],
            "uk"
        );
        p.extras
            .insert("tests".into(), json!([{"description": "no name"}]));
        assert_eq!(
            package_body(&p, false).unwrap_err().to_string(),
            "configuration error: background-check package `bg-uk`: extras.tests[0] has no name"
        );
        p.extras.insert("tests".into(), json!("x"));
        assert!(package_body(&p, false).is_err());
        assert!(package_body(&Package::new("x", " "), false).is_err());
    }

    #[test]
    fn order_type_round_trips_through_context() {
        let mut ctx = Map::new();
        assert_eq!(
            OrderType::from_context(&ctx).unwrap(),
            OrderType::Assessment
        );
        ctx.insert(ORDER_TYPE.into(), json!("background_check"));
        assert_eq!(
            OrderType::from_context(&ctx).unwrap(),
            OrderType::BackgroundCheck
        );
        ctx.insert(ORDER_TYPE.into(), json!(3));
        assert!(OrderType::from_context(&ctx).is_err());
        assert_eq!(
            OrderType::BackgroundCheck.package_kind(),
            PackageKind::BackgroundCheck
        );
    }

    #[test]
    fn an_unknown_order_type_in_the_context_is_refused() {
        let mut ctx = Map::new();
        ctx.insert(ORDER_TYPE.into(), json!("assessment"));
        assert_eq!(
            OrderType::from_context(&ctx).unwrap(),
            OrderType::Assessment
        );
        for bad in ["background-check", "Background_Check", ""] {
            ctx.insert(ORDER_TYPE.into(), json!(bad));
            let e = OrderType::from_context(&ctx).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "configuration error: unknown StackOne order type \"{bad}\" in the order's context"
                )
            );
        }
    }

    #[test]
    fn an_application_named_by_its_status_or_remote_id_alone_is_kept() {
        // the order's application, for a webhook whose application is `json`
        let application_of = |json: &str| {
            let body = format!(
                r#"{{"account_id":"a","record_id":"o","data":{{"package":{{"id":"p"}},"application":{json}}}}}"#
            );
            webhook_to_order(body.as_bytes(), OrderType::Assessment, at())
                .unwrap()
                .application
        };
        assert_eq!(
            application_of(r#"{"remote_id":"4471"}"#),
            Some(Application {
                remote_id: Some("4471".into()),
                ..Application::default()
            })
        );
        assert_eq!(
            application_of(r#"{"application_status":{"value":"assessment"}}"#),
            Some(Application {
                status: Some("assessment".into()),
                ..Application::default()
            })
        );
        assert_eq!(application_of("{}"), None);
    }

    #[test]
    fn a_blank_grade_is_not_the_source_value() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.grade = Some("  ".into());
        let v = result_update(&r, None).unwrap().result.unwrap();
        assert_eq!(v.source_value, Some(json!("completed")));
        r.grade = Some("B".into());
        let v = result_update(&r, None).unwrap().result.unwrap();
        assert_eq!(v.source_value, Some(json!("B")));
        // a grade on an unfinished result is not the source value either
        r.status = AssessmentStatus::InProgress;
        let v = result_update(&r, None).unwrap().result.unwrap();
        assert_eq!(v.source_value, Some(json!("in_progress")));
    }

    #[test]
    fn text_files_are_known_by_their_extension() {
        for name in [
            "notes.TXT",
            "README.md",
            "page.html",
            "page.htm",
            "scores.csv",
        ] {
            assert_eq!(content_type_value(None, name), "text", "{name}");
        }
        assert_eq!(content_type_value(None, "scores.xlsx"), "other");
    }

    #[test]
    fn only_a_test_id_may_be_a_number() {
        let mut p = Package::new("bg-uk", "Standard (UK)");
        p.extras
            .insert("tests".into(), json!([{"id": 42, "name": "Identity"}]));
        assert_eq!(
            serde_json::to_string(&package_body(&p, true).unwrap()).unwrap(),
            r#"{"name":"Standard (UK)","tests":[{"id":"42","name":"Identity"}]}"#
        );
        p.extras.insert("tests".into(), json!([{"name": 7}]));
        assert_eq!(
            package_body(&p, false).unwrap_err().to_string(),
            "configuration error: background-check package `bg-uk`: extras.tests[0].name is not text"
        );
        p.extras.insert(
            "tests".into(),
            json!([{"name": "Identity", "description": 7}]),
        );
        assert_eq!(
            package_body(&p, false).unwrap_err().to_string(),
            "configuration error: background-check package `bg-uk`: extras.tests[0].description is not text"
        );
    }

    #[test]
    fn an_application_status_falls_back_to_its_source_value() {
        let status = |status: Value| {
            let v = json!({"account_id": "a", "record_id": "o", "data": {
                "package": {"id": "p"}, "application_id": "app_1",
                "application": {"application_status": status}
            }});
            webhook_to_order(&body(v), OrderType::Assessment, at())
                .unwrap()
                .application
                .unwrap()
                .status
        };
        assert_eq!(
            status(json!({"source_value": "Technical Test"})).as_deref(),
            Some("Technical Test")
        );
        assert_eq!(
            status(json!({"value": " ", "source_value": "Technical Test"})).as_deref(),
            Some("Technical Test")
        );
        assert_eq!(status(json!({"source_value": 4})), None);
        assert_eq!(status(json!({"source_value": " "})), None);
    }

    #[test]
    fn phone_numbers_are_kept_once_each_in_their_order() {
        let mut o = order();
        let rec: CandidateRecord = serde_json::from_value(json!({
            "phone": "+44 2",
            "phone_numbers": [
                {"phone": "+44 1", "type": "mobile"},
                {"phone": "+44 2", "type": "work"},
                {"phone": "+44 1", "type": "home"},
                {"phone": " "}
            ]
        }))
        .unwrap();
        apply_candidate(&mut o, &rec);
        assert_eq!(
            o.candidate.phones,
            [
                Phone {
                    number: "+44 1".into(),
                    kind: Some("mobile".into())
                },
                Phone {
                    number: "+44 2".into(),
                    kind: Some("work".into())
                }
            ]
        );
    }

    #[test]
    fn other_events_are_ignored_with_their_account() {
        let i = ignored_event(
            br#"{"event":"account.created","account_id":"acc_1","provider":"workday"}"#,
        )
        .unwrap();
        assert_eq!(i.event_type, "account.created");
        assert_eq!(i.tenant, Some(TenantId::new("acc_1")));
        assert_eq!(i.reason, "`account.created` needs nothing from the vendor");
        assert!(ignored_event(b"[]").is_err());
        assert_eq!(event_name(br#"{"event":"x"}"#).unwrap(), "x");
        assert!(event_name(br#"{"event":1}"#).is_err());
    }

    #[test]
    fn repeated_items_are_capped() {
        let email = json!({"value": "ana@example.com"});
        let v = json!({
            "event": "ats_assessments.created",
            "account_id": "acc_7Qm2xT9kLp",
            "data": {
                "id": "asr_1",
                "package": {"id": "pkg_1"},
                "candidate": {"emails": vec![email; ats_core::codec::MAX_ITEMS + 1]}
            }
        });
        let e = webhook_to_order(&body(v), OrderType::Assessment, at()).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "data.candidate.emails"),
            "{e}"
        );
        let mut r = AssessmentResult::with_status(AssessmentStatus::InProgress);
        let attribute = Attribute {
            id: "a".into(),
            label: "A".into(),
            value: ats_core::AttributeValue::Bool(true),
        };
        r.attributes = vec![attribute; ats_core::codec::MAX_ITEMS + 1];
        let e = result_update(&r, None).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "attributes"),
            "{e}"
        );
    }
}
