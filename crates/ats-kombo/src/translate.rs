//! Pure translation between Kombo's wire structs and the core model.
//!
//! ## Status mapping
//!
//! Update order result accepts three statuses, and Kombo lets the status
//! change only while it is `OPEN`. This adapter writes a result once the
//! assessment has ended:
//!
//! | core [`AssessmentStatus`] | Kombo `status` | notes |
//! |---|---|---|
//! | `completed` | `COMPLETED` | |
//! | `cancelled` | `CANCELLED` | |
//! | `expired` | `CANCELLED` | the invitation ran out: the order is closed without a result |
//! | `error` | `CANCELLED` | the assessment could not be carried out |
//! | `invited` | – (not sent) | [`Error::Unsupported`], nothing is sent |
//! | `in_progress` | – (not sent) | skipped: the adapter sends nothing and reports a warning ([`not_sent`]) |
//!
//! Kombo's `OPEN` is never written: what an `OPEN` write does in each ATS
//! (a partial result shown as final?) is not documented, and a non-final
//! status has nothing to show. Vendors branch on
//! [`AssessmentStatus::is_final`] before submitting.
//!
//! `completed_at` is sent with every write (Kombo asks for it with
//! `COMPLETED` and `CANCELLED`): the result's `completed_at`, else the
//! time of the write (from the adapter's [`Clock`](ats_core::Clock)), in
//! UTC with milliseconds (`2026-08-05T14:32:10.000Z`).
//!
//! Order `status` on the way in (webhooks and Get orders):
//!
//! | Kombo `data.status` | core |
//! |---|---|
//! | `OPEN`, absent, or a value this adapter does not know | [`InboundEvent::OrderReceived`] (the value in `extras.order_status`) |
//! | `COMPLETED`, `CANCELLED`, `REJECTED` | webhook: [`InboundEvent::Ignored`] (answered 200, no assessment is started); Get orders: left out |
//!
//! ## Result fields
//!
//! | core [`AssessmentResult`] | Kombo |
//! |---|---|
//! | `report_url` (required) | `result_url` |
//! | `score.value`, `score.max` | `score`, `max_score` |
//! | `summary`, `grade`, `passed`, `status_reason` | `TEXT` attributes labelled `Summary`, `Grade`, `Result` (`Passed`/`Failed`), `Status reason` |
//! | `sections` with a score out of a maximum ≥ 1 | `SUB_RESULT` (`status` `COMPLETED` when the result is completed, else `CANCELLED`) |
//! | the rest of a section (score without usable maximum, pass/fail, summary) | one `TEXT` attribute with the section's label |
//! | `attributes` | `TEXT` attributes (label, value as text; yes/no for booleans) |
//! | `attachments` (at most [`MAX_ATTACHMENTS`]) | `attachments`: URL → `data_url`, inline → `data` (+ required `content_type`) |
//! | `extensions.kombo.remote_fields` (an object) | `remote_fields`, as is |
//!
//! ## Package kinds
//!
//! | core [`PackageKind`] | Kombo `type` (Set packages) | back (Get packages) |
//! |---|---|---|
//! | `skills` | `SKILLS_TEST` | `SKILLS_TEST` → `skills` |
//! | `coding` | `SKILLS_TEST` | |
//! | `personality` | `BEHAVIORAL` | `BEHAVIORAL` → `personality` |
//! | `video` | `VIDEO_INTERVIEW` | `VIDEO_INTERVIEW` → `video` |
//! | `background_check` | `BACKGROUND_CHECK` | `BACKGROUND_CHECK` → `background_check` |
//! | `reference_check` | `REFERENCE_CHECK` | `REFERENCE_CHECK` → `reference_check` |
//! | `other` | refused ([`Error::Config`]) unless `extras.kombo_type` names the type | `null` or unknown → `other` |
//!
//! A package's `extras.kombo_type` (a string) overrides the table for any
//! kind.

use ats_core::codec::{at_most_at, check_result_items, json_number, non_blank};
use ats_core::codec::{
    decode_json, decode_json_object, decode_json_with_raw, required, required_string_at,
};
use ats_core::{
    Application, AssessmentOrder, AssessmentResult, AssessmentStatus, Attachment, AttachmentSource,
    AttributeValue, Candidate, Email, Error, Ignored, InboundEvent, Job, Location, Package,
    PackageKind, Person, Phone, RawJson, TenantId,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Number, Value};

use crate::wire::{
    EventType, GetOrdersResponse, GetPackagesResponse, HiringTeamMember, Order, OrderLocation,
    OrderReceivedWebhook, OtherEvent, PackageOut, RawOrdersResponse, RejectionBody,
    RejectionMessage, ResultAttachment, ResultAttribute, SetPackagesRequest, SubResultScore,
    UpdateOrderResultRequest, WriteResponse,
};

/// The adapter's name.
pub const PROVIDER: &str = "kombo";

/// The webhook type of a new assessment or background-check order.
pub const ORDER_RECEIVED: &str = "assessment:order-received";

/// The webhook type of a new inline assessment order (the candidate is
/// redirected to the vendor right after applying).
pub const INLINE_ORDER_RECEIVED: &str = "inline-assessment:order-received";

/// Kombo takes at most this many attachments per result.
pub const MAX_ATTACHMENTS: usize = 5;

/// The `extras` key of a [`Package`] that sets its Kombo `type` directly.
pub const KOMBO_TYPE_EXTRA: &str = "kombo_type";

/// `extras` key of an order: the webhook event's `id` (deduplicate on it).
pub const EXTRA_EVENT_ID: &str = "event_id";
/// `extras` key of an order: Kombo's order `status` as sent.
pub const EXTRA_ORDER_STATUS: &str = "order_status";
/// `extras` key of an order: `true` for an inline assessment order, which
/// must be accepted with a `candidate_url`.
pub const EXTRA_INLINE: &str = "inline_assessment";

/// Kombo's order statuses after which nothing is to be started.
const CLOSED_STATUSES: [&str; 3] = ["COMPLETED", "CANCELLED", "REJECTED"];

/// The `type` of a webhook body (what routing needs).
///
/// When the body cannot be read, the error names the deepest field an
/// order webhook would have reached (`data.candidate` for a body cut off
/// inside the candidate), the same path [`order_received`] reports.
pub fn event_type(body: &[u8]) -> Result<String, Error> {
    match decode_json::<EventType>(body) {
        Ok(t) => Ok(required(t.event_type.as_deref(), "type")?.to_owned()),
        Err(e) => Err(match decode_json::<OrderReceivedWebhook>(body) {
            Err(deeper @ Error::Malformed { .. }) => deeper,
            _ => e,
        }),
    }
}

/// Translates an `assessment:order-received` (`inline == false`) or
/// `inline-assessment:order-received` (`inline == true`) body.
///
/// The tenant is `data.integration_id`, the provider order id `data.id`.
/// Required: `data.id`, `data.package_id`, `data.integration_id` and
/// `data.candidate.email`. An order whose `status` is already closed
/// (`COMPLETED`, `CANCELLED`, `REJECTED`) becomes [`InboundEvent::Ignored`].
/// Kombo sends no timestamp, so `received_at` is the arrival time.
pub fn order_received(
    body: &[u8],
    inline: bool,
    received_at: DateTime<Utc>,
) -> Result<InboundEvent, Error> {
    let expected = if inline {
        INLINE_ORDER_RECEIVED
    } else {
        ORDER_RECEIVED
    };
    let (webhook, raw): (OrderReceivedWebhook, RawJson) = decode_json_with_raw(body)?;
    match webhook.event_type.as_deref() {
        Some(t) if t == expected => {}
        Some(other) => {
            return Err(Error::malformed(
                "type",
                format!("`{other}` is not `{expected}`"),
            ));
        }
        None => return Err(Error::missing("type")),
    }
    let data = webhook.data;
    let tenant = TenantId::new(required(
        data.integration_id.as_deref(),
        "data.integration_id",
    )?);
    let order_id = required(Some(&data.id), "data.id")?;
    if let Some(status) = data.status.as_deref().filter(|s| is_closed(s)) {
        return Ok(InboundEvent::Ignored(Ignored {
            provider: PROVIDER.to_owned(),
            tenant: Some(tenant),
            event_type: expected.to_owned(),
            reason: format!("order `{order_id}` is already {status}: nothing to start"),
        }));
    }
    let mut extras = Map::new();
    if let Some(id) = non_blank(webhook.id) {
        extras.insert(EXTRA_EVENT_ID.to_owned(), Value::String(id));
    }
    if inline {
        extras.insert(EXTRA_INLINE.to_owned(), Value::Bool(true));
    }
    let order = order_from_wire(data, "data", Some(tenant), received_at, raw, extras)?;
    Ok(InboundEvent::OrderReceived(Box::new(order)))
}

/// Translates a webhook of a type the assessment flow does not act on
/// (`integration-created`, `data-changed`, …) into [`Ignored`]; the tenant
/// is `data.integration_id` where the event carries one.
pub fn other_event(body: &[u8]) -> Result<Ignored, Error> {
    let event: OtherEvent = decode_json(body)?;
    let event_type = required(event.event_type.as_deref(), "type")?.to_owned();
    if event_type == ORDER_RECEIVED || event_type == INLINE_ORDER_RECEIVED {
        return Err(Error::malformed(
            "type",
            format!("`{event_type}` is an order event, not one to ignore"),
        ));
    }
    let tenant = event
        .data
        .as_ref()
        .and_then(|d| d.get("integration_id"))
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(TenantId::new);
    Ok(Ignored {
        provider: PROVIDER.to_owned(),
        tenant,
        reason: format!("the assessment flow does not act on `{event_type}` events"),
        event_type,
    })
}

/// One page of Get orders: the open orders on it and the next cursor
/// (`None` on the last page: `next` null, empty or blank).
///
/// Orders carry no integration id, so `tenant` is the integration the page
/// was fetched for; `received_at` is when it was fetched. Orders whose
/// status is closed are left out. A malformed order fails the page, with
/// the path of the field (`data.results[2].candidate.email`).
pub fn open_orders_page(
    body: &[u8],
    tenant: &TenantId,
    received_at: DateTime<Utc>,
) -> Result<(Vec<AssessmentOrder>, Option<String>), Error> {
    let page: GetOrdersResponse = decode_json_object(body)?;
    // each order keeps its own JSON text as `raw`
    let raw_results = serde_json::from_slice::<RawOrdersResponse>(body)
        .map(|r| r.data.results)
        .unwrap_or_default();
    let mut orders = Vec::with_capacity(page.data.results.len());
    for (i, (order, raw)) in page
        .data
        .results
        .into_iter()
        .zip(
            raw_results
                .into_iter()
                .map(RawJson::from)
                .chain(std::iter::repeat_with(RawJson::null)),
        )
        .enumerate()
    {
        if order.status.as_deref().is_some_and(is_closed) {
            continue;
        }
        orders.push(order_from_wire(
            order,
            &format!("data.results[{i}]"),
            Some(tenant.clone()),
            received_at,
            raw,
            Map::new(),
        )?);
    }
    let next = page.data.next.filter(|n| !n.trim().is_empty());
    Ok((orders, next))
}

fn is_closed(status: &str) -> bool {
    CLOSED_STATUSES.contains(&status)
}

/// The core order for a Kombo order (webhook `data` or a Get orders item).
/// `at` is the order's path in the body, for error messages.
pub fn order_from_wire(
    order: Order,
    at: &str,
    tenant: Option<TenantId>,
    received_at: DateTime<Utc>,
    raw: RawJson,
    mut extras: Map<String, Value>,
) -> Result<AssessmentOrder, Error> {
    // paths are written only for a refusal: `format!` on every order costs
    let id = required_string_at(Some(order.id), || format!("{at}.id"))?;
    let package_id = required_string_at(Some(order.package_id), || format!("{at}.package_id"))?;
    let c = order.candidate.unwrap_or_default();
    let email = required_string_at(c.email, || format!("{at}.candidate.email"))?;
    if let Some(team) = order.job.as_ref().and_then(|j| j.hiring_team.as_ref()) {
        at_most_at(team, || format!("{at}.job.hiring_team"))?;
    }
    if let Some(status) = non_blank(order.status) {
        extras.insert(EXTRA_ORDER_STATUS.to_owned(), Value::String(status));
    }
    let remote_id = non_blank(c.remote_id);
    let candidate = Candidate {
        id: remote_id.clone(),
        remote_id,
        first_name: non_blank(c.first_name),
        last_name: non_blank(c.last_name),
        preferred_name: None,
        emails: vec![Email {
            address: email,
            kind: None,
        }],
        phones: non_blank(c.phone)
            .map(|number| Phone { number, kind: None })
            .into_iter()
            .collect(),
        location: None,
        profile_url: None,
        resume_url: None,
    };
    let application = order
        .application
        .and_then(|a| non_blank(a.remote_id))
        .map(|id| Application {
            id: Some(id.clone()),
            remote_id: Some(id),
            status: None,
            url: None,
        });
    let job = order.job.map(|j| {
        let remote_id = non_blank(j.remote_id);
        Job {
            id: remote_id.clone(),
            remote_id,
            name: non_blank(j.name),
            description: non_blank(j.description),
            requisition_id: non_blank(j.job_code),
            url: None,
            location: j.location.and_then(location),
            hiring_team: j
                .hiring_team
                .into_iter()
                .flatten()
                .filter_map(person)
                .collect(),
        }
    });
    Ok(AssessmentOrder {
        provider: PROVIDER.to_owned(),
        tenant,
        provider_order_id: Some(id),
        package_id,
        package: None,
        candidate,
        application,
        job: job.filter(|j| j != &Job::default()),
        requested_by: None,
        callback_url: None,
        received_at,
        context: Map::new(),
        extras,
        raw,
    })
}

fn location(l: OrderLocation) -> Option<Location> {
    let loc = Location {
        text: non_blank(l.raw),
        address_lines: [l.street_1, l.street_2]
            .into_iter()
            .filter_map(|line| non_blank(line.map(|s| s.trim().to_owned())))
            .collect(),
        city: non_blank(l.city),
        region: non_blank(l.state),
        country: non_blank(l.country),
        postal_code: non_blank(l.zip_code),
    };
    (!loc.is_empty()).then_some(loc)
}

fn person(m: HiringTeamMember) -> Option<Person> {
    let p = Person {
        id: non_blank(m.remote_id),
        first_name: non_blank(m.first_name),
        last_name: non_blank(m.last_name),
        email: non_blank(m.email),
        roles: m
            .hiring_team_roles
            .into_iter()
            .flatten()
            .filter(|r| !r.trim().is_empty())
            .collect(),
    };
    (p != Person::default()).then_some(p)
}

/// The rejection body (HTTP 422) for a recruiter-readable message.
/// **Unconfirmed shape**, see [`RejectionBody`].
pub fn rejection_body(message: &str) -> RejectionBody {
    RejectionBody {
        status: "error".to_owned(),
        error: RejectionMessage {
            message: message.to_owned(),
        },
    }
}

/// Kombo's package `type` for a package (see the module docs).
pub fn kombo_package_type(package: &Package) -> Result<String, Error> {
    if let Some(v) = package.extras.get(KOMBO_TYPE_EXTRA) {
        return match v.as_str().map(str::trim) {
            Some(t) if !t.is_empty() => Ok(t.to_owned()),
            _ => Err(Error::config(format!(
                "package `{}`: extras.{KOMBO_TYPE_EXTRA} must be a non-empty string",
                package.id
            ))),
        };
    }
    let t = match package.kind {
        PackageKind::Skills | PackageKind::Coding => "SKILLS_TEST",
        PackageKind::Personality => "BEHAVIORAL",
        PackageKind::Video => "VIDEO_INTERVIEW",
        PackageKind::BackgroundCheck => "BACKGROUND_CHECK",
        PackageKind::ReferenceCheck => "REFERENCE_CHECK",
        PackageKind::Other => {
            return Err(Error::config(format!(
                "package `{}` has kind `other`, which Kombo cannot express: give it a kind \
                 (skills, coding, personality, video, background_check, reference_check) \
                 or set extras.{KOMBO_TYPE_EXTRA}",
                package.id
            )));
        }
    };
    Ok(t.to_owned())
}

/// The core kind for a Kombo package `type` (Get packages).
pub fn package_kind(kombo_type: Option<&str>) -> PackageKind {
    match kombo_type {
        Some("SKILLS_TEST") => PackageKind::Skills,
        Some("BEHAVIORAL") => PackageKind::Personality,
        Some("VIDEO_INTERVIEW") => PackageKind::Video,
        Some("BACKGROUND_CHECK") => PackageKind::BackgroundCheck,
        Some("REFERENCE_CHECK") => PackageKind::ReferenceCheck,
        _ => PackageKind::Other,
    }
}

/// The Set packages body for a tenant's complete package list.
///
/// Refused ([`Error::Config`]) when a package has an empty id or name, an id
/// appears twice, or its kind has no Kombo type. A missing description is
/// sent as `""` (Kombo requires the key).
pub fn set_packages_body(packages: &[Package]) -> Result<SetPackagesRequest, Error> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::with_capacity(packages.len());
    for p in packages {
        if p.id.trim().is_empty() {
            return Err(Error::config("a package has an empty id"));
        }
        if !seen.insert(p.id.as_str()) {
            return Err(Error::config(format!(
                "package id `{}` appears twice; Kombo identifies packages by id",
                p.id
            )));
        }
        if p.name.trim().is_empty() {
            return Err(Error::config(format!(
                "package `{}` has an empty name",
                p.id
            )));
        }
        out.push(PackageOut {
            id: p.id.clone(),
            package_type: kombo_package_type(p)?,
            name: p.name.clone(),
            description: p.description.clone().unwrap_or_default(),
        });
    }
    Ok(SetPackagesRequest { packages: out })
}

/// Get packages' answer as core packages: `extras` keeps `kombo_type` and
/// `updated_at` as Kombo has them.
pub fn published_packages(body: &[u8]) -> Result<Vec<Package>, Error> {
    let r: GetPackagesResponse = decode_json(body)?;
    Ok(r.data
        .packages
        .into_iter()
        .map(|p| {
            let mut extras = Map::new();
            if let Some(t) = &p.package_type {
                extras.insert(KOMBO_TYPE_EXTRA.to_owned(), Value::String(t.clone()));
            }
            if let Some(u) = p.updated_at {
                extras.insert("updated_at".to_owned(), Value::String(u));
            }
            Package {
                kind: package_kind(p.package_type.as_deref()),
                name: p.name.unwrap_or_default(),
                description: non_blank(p.description),
                id: p.id,
                extras,
            }
        })
        .collect())
}

/// Kombo's result `status` for a core status; `None` for the non-final
/// statuses, which are not sent (see the module docs).
pub fn kombo_status(status: AssessmentStatus) -> Option<&'static str> {
    match status {
        AssessmentStatus::Completed => Some("COMPLETED"),
        AssessmentStatus::Cancelled | AssessmentStatus::Expired | AssessmentStatus::Error => {
            Some("CANCELLED")
        }
        AssessmentStatus::Invited | AssessmentStatus::InProgress => None,
    }
}

/// Why `result` is not sent to Kombo at all, when it is not: a non-final
/// status has no Kombo result status, and Kombo would refuse it. The
/// adapter skips it (a [`Delivery::skipped`](ats_core::Delivery::skipped)
/// warning) so that a vendor reporting every status to every provider
/// loses nothing and needs no provider-specific branch.
pub fn not_sent(result: &AssessmentResult) -> Option<String> {
    kombo_status(result.status).is_none().then(|| {
        format!(
            "not sent: Kombo takes final results only (COMPLETED, CANCELLED), and `{}` is not final",
            result.status
        )
    })
}

/// The Update order result body for a result, written at `now` (used as
/// `completed_at` when the result has none).
///
/// Refused before anything is sent: a non-final status
/// ([`Error::Unsupported`]; the adapter skips those first, see
/// [`not_sent`]); no `report_url` ([`Error::IncompleteResult`]), more than
/// [`MAX_ATTACHMENTS`] attachments, an inline attachment without a valid
/// `content_type` or with invalid base64, a non-finite score
/// ([`Error::Config`]).
pub fn result_body(
    result: &AssessmentResult,
    now: DateTime<Utc>,
) -> Result<UpdateOrderResultRequest, Error> {
    check_result_items(result)?;
    let status = kombo_status(result.status).ok_or_else(|| {
        Error::unsupported(
            PROVIDER,
            format!(
                "reporting the non-final status `{}` (Kombo's results are COMPLETED or \
                 CANCELLED; submit once the assessment has ended)",
                result.status
            ),
        )
    })?;
    let result_url = result
        .report_url
        .as_ref()
        .ok_or_else(|| {
            Error::incomplete_result(
                PROVIDER,
                "a report_url (Kombo requires a result_url with every result)",
            )
        })?
        .to_string();
    let completed_at = result
        .completed_at
        .unwrap_or(now)
        .to_rfc3339_opts(SecondsFormat::Millis, true);
    let (score, max_score) = match result.score {
        Some(s) => (
            Some(number(s.value, "score")?),
            s.max.map(|m| number(m, "score.max")).transpose()?,
        ),
        None => (None, None),
    };
    Ok(UpdateOrderResultRequest {
        status: status.to_owned(),
        result_url,
        completed_at: Some(completed_at),
        score,
        max_score,
        attributes: attributes(result)?,
        attachments: attachments(&result.attachments)?,
        remote_fields: remote_fields(result)?,
    })
}

/// The key of [`AssessmentResult::extensions`] this adapter reads.
pub const EXTENSION: &str = PROVIDER;

/// `remote_fields` from the result's `extensions.kombo`: an object whose
/// only key is `remote_fields`, itself an object sent as is (Kombo defines
/// its keys per ATS and adds new ones, so they are not checked here).
/// Anything else is refused ([`Error::Config`]) rather than dropped.
fn remote_fields(result: &AssessmentResult) -> Result<Option<Map<String, Value>>, Error> {
    let Some(ext) = result.extension(EXTENSION) else {
        return Ok(None);
    };
    let bad = |what: &str| Error::config(format!("extensions.{EXTENSION}: {what}"));
    let Value::Object(ext) = ext else {
        return Err(bad("must be an object such as {\"remote_fields\": {...}}"));
    };
    if let Some(key) = ext.keys().find(|k| k.as_str() != "remote_fields") {
        return Err(bad(&format!(
            "`{key}` is not a field this adapter sends (only `remote_fields`)"
        )));
    }
    match ext.get("remote_fields") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map.clone())),
        Some(_) => Err(bad("`remote_fields` must be an object")),
    }
}

fn attributes(result: &AssessmentResult) -> Result<Vec<ResultAttribute>, Error> {
    let text = |label: &str, value: String| ResultAttribute::Text {
        label: label.to_owned(),
        value,
    };
    let mut out = Vec::new();
    if let Some(s) = non_blank(result.summary.clone()) {
        out.push(text("Summary", s));
    }
    if let Some(g) = non_blank(result.grade.clone()) {
        out.push(text("Grade", g));
    }
    if let Some(p) = result.passed {
        out.push(text("Result", pass_fail(p).to_owned()));
    }
    if let Some(r) = non_blank(result.status_reason.clone()) {
        out.push(text("Status reason", r));
    }
    let section_status = if result.status == AssessmentStatus::Completed {
        "COMPLETED"
    } else {
        "CANCELLED"
    };
    for (i, s) in result.sections.iter().enumerate() {
        let mut parts = Vec::new();
        match s.score {
            Some(score) if score.max.is_some_and(|m| m >= 1.0) => {
                let max = score.max.unwrap_or(1.0);
                out.push(ResultAttribute::SubResult {
                    id: s.id.clone(),
                    label: s.label.clone(),
                    score: SubResultScore {
                        value: number(score.value, &format!("sections[{i}].score.value"))?,
                        max: number(max, &format!("sections[{i}].score.max"))?,
                    },
                    status: section_status.to_owned(),
                });
            }
            Some(score) => parts.push(match score.max {
                Some(max) => format!("{} / {}", plain(score.value), plain(max)),
                None => plain(score.value),
            }),
            None => {}
        }
        if let Some(p) = s.passed {
            parts.push(pass_fail(p).to_owned());
        }
        if let Some(summary) = non_blank(s.summary.clone()) {
            parts.push(summary);
        }
        if !parts.is_empty() {
            out.push(text(&s.label, parts.join(" – ")));
        }
    }
    for a in &result.attributes {
        let value = match &a.value {
            AttributeValue::Bool(true) => "Yes".to_owned(),
            AttributeValue::Bool(false) => "No".to_owned(),
            AttributeValue::Number(n) => plain(*n),
            AttributeValue::Text(t) => t.clone(),
        };
        out.push(text(&a.label, value));
    }
    Ok(out)
}

fn attachments(attachments: &[Attachment]) -> Result<Vec<ResultAttachment>, Error> {
    if attachments.len() > MAX_ATTACHMENTS {
        return Err(Error::config(format!(
            "Kombo accepts at most {MAX_ATTACHMENTS} attachments per result; this result has {}",
            attachments.len()
        )));
    }
    attachments
        .iter()
        .map(|a| {
            if a.name.trim().is_empty() {
                return Err(Error::config("an attachment has an empty name"));
            }
            if let Some(ct) = &a.content_type {
                check_content_type(&a.name, ct)?;
            }
            Ok(match &a.source {
                AttachmentSource::Url { url } => ResultAttachment {
                    name: a.name.clone(),
                    content_type: a.content_type.clone(),
                    data_url: Some(url.to_string()),
                    data: None,
                },
                AttachmentSource::Inline { data_base64 } => {
                    if a.content_type.is_none() {
                        return Err(Error::config(format!(
                            "attachment `{}`: Kombo requires a content_type with inline data",
                            a.name
                        )));
                    }
                    if STANDARD.decode(data_base64.trim()).is_err() {
                        return Err(Error::config(format!(
                            "attachment `{}`: data_base64 is not valid standard base64",
                            a.name
                        )));
                    }
                    ResultAttachment {
                        name: a.name.clone(),
                        content_type: a.content_type.clone(),
                        data_url: None,
                        data: Some(data_base64.trim().to_owned()),
                    }
                }
            })
        })
        .collect()
}

/// Kombo's rule for `content_type`: `type/subtype` of word characters, dots
/// and dashes, and something more telling than `application/octet-stream`.
fn check_content_type(name: &str, ct: &str) -> Result<(), Error> {
    let word = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    };
    let valid = ct.split_once('/').is_some_and(|(t, s)| word(t) && word(s));
    if !valid {
        return Err(Error::config(format!(
            "attachment `{name}`: content_type `{ct}` is not of the form type/subtype"
        )));
    }
    if ct.eq_ignore_ascii_case("application/octet-stream") {
        return Err(Error::config(format!(
            "attachment `{name}`: Kombo asks for a meaningful content_type, not application/octet-stream"
        )));
    }
    Ok(())
}

/// The warnings of a successful write (`warnings[].message`). A success
/// body that cannot be read yields none: the write itself succeeded.
pub fn warnings(body: &[u8]) -> Vec<String> {
    serde_json::from_slice::<WriteResponse>(body)
        .ok()
        .and_then(|r| r.warnings)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|w| non_blank(w.message))
        .collect()
}

/// A JSON number: whole numbers without a fraction (`78`, not `78.0`).
fn number(n: f64, what: &str) -> Result<Number, Error> {
    json_number(n).ok_or_else(|| Error::config(format!("{what} is not a finite number: {n}")))
}

/// A number as text for a `TEXT` attribute (`42`, `3.5`).
fn plain(n: f64) -> String {
    json_number(n).map_or_else(|| format!("{n}"), |n| n.to_string())
}

fn pass_fail(passed: bool) -> &'static str {
    if passed { "Passed" } else { "Failed" }
}
#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::{Attribute, Score, Section};
    use serde_json::json;
    use url::Url;

    fn at() -> DateTime<Utc> {
        "2026-08-05T14:32:10Z".parse().unwrap()
    }

    fn full_order() -> Value {
        json!({
            "id": "7Qm2xWc9RtYp4LsVbN3kHd8A",
            "type": "assessment:order-received",
            "data": {
                "id": "Hx4pLq9TzW2mRv7cYb3nKs6D",
                "package_id": "pkg-rust-senior",
                "status": "OPEN",
                "integration_id": "greenhouse:8mQzT4vXc2LpR7nWd9KsYb3H",
                "candidate": {"remote_id": "cand-40213", "email": "mira.okafor@example.com",
                              "first_name": "Mira", "last_name": "Okafor", "phone": "+351 210 000 123"},
                "application": {"remote_id": "app-88120"},
                "job": {
                    "remote_id": "job-5521", "name": "Backend Engineer (Rust)", "job_code": "ENG-2026-014",
                    "description": "<p>Payments.</p>",
                    "location": {"street_1": "Rua Exemplo 10", "city": "Lisbon", "state": null,
                                 "zip_code": "1000-001", "country": "PT", "raw": "Lisbon, Portugal"},
                    "hiring_team": [
                        {"remote_id": "user-17", "email": "tomas.reyes@example.com", "first_name": "Tomas",
                         "last_name": "Reyes", "hiring_team_roles": ["RECRUITER"]},
                        {"remote_id": null, "email": null, "first_name": null, "last_name": null,
                         "hiring_team_roles": []}
                    ]
                }
            }
        })
    }

    fn order(body: &Value, inline: bool) -> AssessmentOrder {
        match order_received(body.to_string().as_bytes(), inline, at()).unwrap() {
            InboundEvent::OrderReceived(o) => *o,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn webhook_maps_every_field() {
        let body = full_order();
        let o = order(&body, false);
        assert_eq!(o.provider, "kombo");
        assert_eq!(
            o.tenant.as_ref().map(TenantId::as_str),
            Some("greenhouse:8mQzT4vXc2LpR7nWd9KsYb3H")
        );
        assert_eq!(
            o.provider_order_id.as_deref(),
            Some("Hx4pLq9TzW2mRv7cYb3nKs6D")
        );
        assert_eq!(o.package_id, "pkg-rust-senior");
        assert_eq!(o.candidate.id.as_deref(), Some("cand-40213"));
        assert_eq!(o.candidate.full_name().as_deref(), Some("Mira Okafor"));
        assert_eq!(o.candidate.primary_email(), Some("mira.okafor@example.com"));
        assert_eq!(o.candidate.phones[0].number, "+351 210 000 123");
        assert_eq!(o.application.unwrap().id.as_deref(), Some("app-88120"));
        let job = o.job.unwrap();
        assert_eq!(job.id.as_deref(), Some("job-5521"));
        assert_eq!(job.requisition_id.as_deref(), Some("ENG-2026-014"));
        let loc = job.location.unwrap();
        assert_eq!(loc.city.as_deref(), Some("Lisbon"));
        assert_eq!(loc.region, None);
        assert_eq!(loc.postal_code.as_deref(), Some("1000-001"));
        assert_eq!(loc.text.as_deref(), Some("Lisbon, Portugal"));
        // the all-null team member is dropped
        assert_eq!(job.hiring_team.len(), 1);
        assert_eq!(job.hiring_team[0].roles, ["RECRUITER"]);
        assert_eq!(o.extras["event_id"], "7Qm2xWc9RtYp4LsVbN3kHd8A");
        assert_eq!(o.extras["order_status"], "OPEN");
        assert!(!o.extras.contains_key("inline_assessment"));
        assert_eq!(o.received_at, at());
        assert_eq!(o.raw, body);
    }

    #[test]
    fn job_description_streets_and_ats_ids_reach_the_model() {
        let mut body = full_order();
        body["data"]["job"]["location"]["street_2"] = json!("2º andar");
        body["data"]["job"]["location"]["street_1"] = json!("  Rua Exemplo 10 ");
        let o = order(&body, false);
        let job = o.job.unwrap();
        assert_eq!(job.description.as_deref(), Some("<p>Payments.</p>"));
        assert_eq!(job.remote_id.as_deref(), Some("job-5521"));
        assert_eq!(
            job.location.unwrap().address_lines,
            ["Rua Exemplo 10", "2º andar"]
        );
        assert_eq!(o.candidate.remote_id.as_deref(), Some("cand-40213"));
        assert_eq!(
            o.application.unwrap().remote_id.as_deref(),
            Some("app-88120")
        );
        // a blank first line is skipped, the second kept
        body["data"]["job"]["location"]["street_1"] = json!(" ");
        let o = order(&body, false);
        assert_eq!(o.job.unwrap().location.unwrap().address_lines, ["2º andar"]);
    }

    #[test]
    fn inline_webhook_is_flagged() {
        let mut body = full_order();
        body["type"] = json!("inline-assessment:order-received");
        let o = order(&body, true);
        assert_eq!(o.extras["inline_assessment"], true);
        // the wrong type for the operation is malformed, not another event
        let e = order_received(body.to_string().as_bytes(), false, at()).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "type"),
            "{e}"
        );
    }

    #[test]
    fn sparse_order_keeps_only_what_is_there() {
        let body = json!({
            "id": "e1", "type": "assessment:order-received",
            "data": {"id": "o1", "package_id": "p1", "status": "OPEN", "integration_id": "workday:1",
                     "candidate": {"remote_id": null, "email": "li.wen@example.com", "first_name": null,
                                   "last_name": null, "phone": null},
                     "application": {"remote_id": null},
                     "job": {"remote_id": null, "name": null, "job_code": null, "description": null,
                             "location": null, "hiring_team": []}}
        });
        let o = order(&body, false);
        assert_eq!(o.application, None);
        assert_eq!(o.job, None);
        assert!(o.candidate.phones.is_empty());
        assert_eq!(o.candidate.first_name, None);
    }

    #[test]
    fn required_fields_are_named() {
        let mut body = full_order();
        body["data"]["candidate"]["email"] = Value::Null;
        let e = order_received(body.to_string().as_bytes(), false, at()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed payload at `data.candidate.email`: required field is missing or empty"
        );
        let mut body = full_order();
        body["data"]
            .as_object_mut()
            .unwrap()
            .remove("integration_id");
        let e = order_received(body.to_string().as_bytes(), false, at()).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "data.integration_id"),
            "{e}"
        );
        let mut body = full_order();
        body["data"]["id"] = json!(5);
        let e = order_received(body.to_string().as_bytes(), false, at()).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "data.id"),
            "{e}"
        );
    }

    #[test]
    fn closed_orders_are_ignored() {
        let mut body = full_order();
        body["data"]["status"] = json!("CANCELLED");
        match order_received(body.to_string().as_bytes(), false, at()).unwrap() {
            InboundEvent::Ignored(i) => {
                assert_eq!(i.event_type, "assessment:order-received");
                assert_eq!(
                    i.tenant.unwrap().as_str(),
                    "greenhouse:8mQzT4vXc2LpR7nWd9KsYb3H"
                );
                assert_eq!(
                    i.reason,
                    "order `Hx4pLq9TzW2mRv7cYb3nKs6D` is already CANCELLED: nothing to start"
                );
            }
            other => panic!("{other:?}"),
        }
        // an unknown status is passed on, the value kept
        body["data"]["status"] = json!("ON_HOLD");
        assert_eq!(order(&body, false).extras["order_status"], "ON_HOLD");
    }

    #[test]
    fn other_events_are_ignored_with_their_tenant() {
        let i = other_event(
            br#"{"id":"e","type":"integration-created","data":{"integration_id":"lever:1"}}"#,
        )
        .unwrap();
        assert_eq!(i.event_type, "integration-created");
        assert_eq!(i.tenant.unwrap().as_str(), "lever:1");
        let i = other_event(br#"{"type":"data-changed","data":[1]}"#).unwrap();
        assert_eq!(i.tenant, None);
        assert!(other_event(br#"{"id":"e"}"#).is_err());
        assert!(matches!(
            other_event(br#"{"type":"assessment:order-received","data":{}}"#),
            Err(Error::Malformed { ref path, .. }) if path == "type"
        ));
    }

    #[test]
    fn event_type_for_routing() {
        assert_eq!(
            event_type(br#"{"type":"assessment:order-received"}"#).unwrap(),
            "assessment:order-received"
        );
        assert!(matches!(
            event_type(b"{}").unwrap_err(),
            Error::Malformed { ref path, .. } if path == "type"
        ));
        assert!(matches!(
            event_type(b"nope").unwrap_err(),
            Error::Malformed { ref path, .. } if path == "."
        ));
        // a cut-off body is reported where an order would break
        let cut = br#"{"id":"e","type":"assessment:order-received","data":{"id":"o","candidate":{"email":"a@exa"#;
        assert!(matches!(
            event_type(cut).unwrap_err(),
            Error::Malformed { ref path, .. } if path == "data.candidate.email"
        ));
    }

    #[test]
    fn open_orders_page_translates_and_skips_closed() {
        let body = json!({
            "status": "success",
            "data": {"next": "c2", "results": [
                {"id": "o1", "package_id": "p1", "status": "OPEN",
                 "candidate": {"email": "a@example.com"}, "application": {"remote_id": "a1"},
                 "job": {"hiring_team": []}},
                {"id": "o2", "package_id": "p1", "status": "COMPLETED",
                 "candidate": {"email": "b@example.com"}, "application": {}, "job": {}}
            ]}
        });
        let tenant = TenantId::new("recruitee:9");
        let (orders, next) = open_orders_page(body.to_string().as_bytes(), &tenant, at()).unwrap();
        assert_eq!(next.as_deref(), Some("c2"));
        assert_eq!(orders.len(), 1);
        assert_eq!(orders[0].tenant.as_ref(), Some(&tenant));
        assert_eq!(orders[0].provider_order_id.as_deref(), Some("o1"));
        assert_eq!(orders[0].raw, body["data"]["results"][0]);
        assert_eq!(orders[0].extras["order_status"], "OPEN");
        let (_, next) = open_orders_page(
            br#"{"status":"success","data":{"next":"  ","results":[]}}"#,
            &tenant,
            at(),
        )
        .unwrap();
        assert_eq!(next, None);
        let e = open_orders_page(
            br#"{"data":{"next":null,"results":[{"id":"o","package_id":"p","candidate":{}}]}}"#,
            &tenant,
            at(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed payload at `data.results[0].candidate.email`: required field is missing or empty"
        );
    }

    #[test]
    fn package_kinds_both_ways() {
        use PackageKind::*;
        let kinds = [
            Skills,
            Coding,
            Personality,
            Video,
            BackgroundCheck,
            ReferenceCheck,
        ];
        let types: Vec<_> = kinds
            .iter()
            .map(|k| kombo_package_type(&Package::new("p", "P").with_kind(*k)).unwrap())
            .collect();
        assert_eq!(
            types,
            [
                "SKILLS_TEST",
                "SKILLS_TEST",
                "BEHAVIORAL",
                "VIDEO_INTERVIEW",
                "BACKGROUND_CHECK",
                "REFERENCE_CHECK"
            ]
        );
        let back: Vec<_> = types.iter().map(|t| package_kind(Some(t))).collect();
        assert_eq!(
            back,
            [
                Skills,
                Skills,
                Personality,
                Video,
                BackgroundCheck,
                ReferenceCheck
            ]
        );
        assert_eq!(package_kind(None), Other);
        assert_eq!(package_kind(Some("ASSESSMENT_CENTER")), Other);
        let e = kombo_package_type(&Package::new("misc", "Misc")).unwrap_err();
        assert!(
            matches!(e, Error::Config { .. }) && e.to_string().contains("`misc`"),
            "{e}"
        );
        let mut p = Package::new("misc", "Misc");
        p.extras.insert("kombo_type".into(), json!("SKILLS_TEST"));
        assert_eq!(kombo_package_type(&p).unwrap(), "SKILLS_TEST");
        p.extras.insert("kombo_type".into(), json!(3));
        assert!(kombo_package_type(&p).is_err());
        // a blank type is no type
        p.extras.insert("kombo_type".into(), json!("   "));
        assert!(matches!(kombo_package_type(&p), Err(Error::Config { .. })));
    }

    #[test]
    fn a_content_type_is_two_words_around_one_slash() {
        assert!(check_content_type("a.pdf", "application/pdf").is_ok());
        assert!(check_content_type("a.txt", "text/plain").is_ok());
        for bad in [
            "text/",
            "/plain",
            "te xt/plain",
            "text/pl ain",
            "textplain",
            "application/octet-stream",
        ] {
            assert!(
                matches!(check_content_type("a", bad), Err(Error::Config { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn set_packages_body_is_complete_and_validated() {
        let body = set_packages_body(&[
            Package::new("pkg-rust", "Rust")
                .with_kind(PackageKind::Coding)
                .with_description("90 minutes"),
            Package::new("pkg-ref", "References").with_kind(PackageKind::ReferenceCheck),
        ])
        .unwrap();
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"packages": [
                {"id": "pkg-rust", "type": "SKILLS_TEST", "name": "Rust", "description": "90 minutes"},
                {"id": "pkg-ref", "type": "REFERENCE_CHECK", "name": "References", "description": ""}
            ]})
        );
        assert_eq!(
            serde_json::to_string(&set_packages_body(&[]).unwrap()).unwrap(),
            r#"{"packages":[]}"#
        );
        let dup = Package::new("a", "A").with_kind(PackageKind::Skills);
        assert!(set_packages_body(&[dup.clone(), dup]).is_err());
        assert!(
            set_packages_body(&[Package::new("a", " ").with_kind(PackageKind::Skills)]).is_err()
        );
    }

    #[test]
    fn published_packages_map_back() {
        let p = published_packages(
            br#"{"status":"success","data":{"packages":[
                {"id":"a","name":"A","description":"d","updated_at":"2026-08-03T09:15:02.417Z","type":"VIDEO_INTERVIEW"},
                {"id":"b","name":"B","description":"","updated_at":null,"type":null}]}}"#,
        )
        .unwrap();
        assert_eq!(p[0].kind, PackageKind::Video);
        assert_eq!(p[0].extras["updated_at"], "2026-08-03T09:15:02.417Z");
        assert_eq!(p[0].extras["kombo_type"], "VIDEO_INTERVIEW");
        assert_eq!(p[1].kind, PackageKind::Other);
        assert_eq!(p[1].description, None);
        assert!(p[1].extras.is_empty());
    }

    #[test]
    fn every_status_maps() {
        use AssessmentStatus::*;
        let got: Vec<_> = [Invited, InProgress, Completed, Cancelled, Expired, Error]
            .iter()
            .map(|s| kombo_status(*s))
            .collect();
        assert_eq!(
            got,
            [
                None,
                None,
                Some("COMPLETED"),
                Some("CANCELLED"),
                Some("CANCELLED"),
                Some("CANCELLED")
            ]
        );
    }

    fn completed() -> AssessmentResult {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.report_url = Some(Url::parse("https://reports.example.com/r/5f2c9a1e").unwrap());
        r
    }

    #[test]
    fn full_result_body() {
        let mut r = completed();
        r.score = Some(Score::out_of(78.0, 100.0));
        r.summary = Some("Strong ownership model".into());
        r.grade = Some("B+".into());
        r.passed = Some(true);
        r.completed_at = Some("2026-08-05T14:30:00.250Z".parse().unwrap());
        r.sections = vec![
            Section {
                id: "own".into(),
                label: "Ownership".into(),
                score: Some(Score::out_of(34.0, 40.0)),
                passed: None,
                summary: Some("Clean".into()),
            },
            Section {
                id: "speed".into(),
                label: "Speed".into(),
                score: Some(Score {
                    value: 0.8,
                    min: None,
                    max: None,
                }),
                passed: Some(false),
                summary: None,
            },
        ];
        r.attributes = vec![
            Attribute {
                id: "t".into(),
                label: "Time taken (min)".into(),
                value: AttributeValue::Number(42.0),
            },
            Attribute {
                id: "p".into(),
                label: "Proctored".into(),
                value: AttributeValue::Bool(true),
            },
        ];
        r.attachments = vec![
            Attachment {
                name: "Report.pdf".into(),
                content_type: Some("application/pdf".into()),
                source: AttachmentSource::Url {
                    url: Url::parse("https://files.example.com/r.pdf?sig=abc").unwrap(),
                },
            },
            Attachment {
                name: "Summary.txt".into(),
                content_type: Some("text/plain".into()),
                source: AttachmentSource::Inline {
                    data_base64: "U2NvcmU6IDc4LzEwMAo=".into(),
                },
            },
        ];
        let body = serde_json::to_value(result_body(&r, at()).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({
                "status": "COMPLETED",
                "result_url": "https://reports.example.com/r/5f2c9a1e",
                "completed_at": "2026-08-05T14:30:00.250Z",
                "score": 78,
                "max_score": 100,
                "attributes": [
                    {"type": "TEXT", "label": "Summary", "value": "Strong ownership model"},
                    {"type": "TEXT", "label": "Grade", "value": "B+"},
                    {"type": "TEXT", "label": "Result", "value": "Passed"},
                    {"type": "SUB_RESULT", "id": "own", "label": "Ownership",
                     "score": {"value": 34, "max": 40}, "status": "COMPLETED"},
                    {"type": "TEXT", "label": "Ownership", "value": "Clean"},
                    {"type": "TEXT", "label": "Speed", "value": "0.8 – Failed"},
                    {"type": "TEXT", "label": "Time taken (min)", "value": "42"},
                    {"type": "TEXT", "label": "Proctored", "value": "Yes"}
                ],
                "attachments": [
                    {"name": "Report.pdf", "content_type": "application/pdf",
                     "data_url": "https://files.example.com/r.pdf?sig=abc"},
                    {"name": "Summary.txt", "content_type": "text/plain", "data": "U2NvcmU6IDc4LzEwMAo="}
                ]
            })
        );
    }

    #[test]
    fn remote_fields_come_from_the_kombo_extension() {
        let mut r = completed();
        r.extensions.insert(
            "kombo".into(),
            json!({"remote_fields": {
                "smartrecruiters": {"scoreLabel": "Strong"},
                "recruitee": {"subtitle": "Rust (senior), 78/100"}
            }}),
        );
        r.extensions
            .insert("stackone".into(), json!({"passthrough": {"a": 1}}));
        assert_eq!(
            serde_json::to_string(&result_body(&r, at()).unwrap()).unwrap(),
            r#"{"status":"COMPLETED","result_url":"https://reports.example.com/r/5f2c9a1e","completed_at":"2026-08-05T14:32:10.000Z","remote_fields":{"smartrecruiters":{"scoreLabel":"Strong"},"recruitee":{"subtitle":"Rust (senior), 78/100"}}}"#
        );
        for bad in [
            json!(["x"]),
            json!({"remote_fields": "x"}),
            json!({"remotefields": {}}),
        ] {
            r.extensions.insert("kombo".into(), bad.clone());
            let e = result_body(&r, at()).unwrap_err();
            assert!(matches!(e, Error::Config { .. }), "{bad}: {e}");
        }
    }

    #[test]
    fn cancelled_and_expired_results_use_now_when_no_time_is_given() {
        let mut r = completed();
        r.status = AssessmentStatus::Expired;
        r.status_reason = Some("Invitation expired after 14 days".into());
        r.sections = vec![Section {
            id: "s".into(),
            label: "Part 1".into(),
            score: Some(Score::out_of(2.0, 10.0)),
            passed: None,
            summary: None,
        }];
        let body = serde_json::to_value(result_body(&r, at()).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({
                "status": "CANCELLED",
                "result_url": "https://reports.example.com/r/5f2c9a1e",
                "completed_at": "2026-08-05T14:32:10.000Z",
                "attributes": [
                    {"type": "TEXT", "label": "Status reason", "value": "Invitation expired after 14 days"},
                    {"type": "SUB_RESULT", "id": "s", "label": "Part 1",
                     "score": {"value": 2, "max": 10}, "status": "CANCELLED"}
                ]
            })
        );
    }

    #[test]
    fn result_body_refusals() {
        let r = AssessmentResult::with_status(AssessmentStatus::InProgress);
        let e = result_body(&r, at()).unwrap_err();
        assert!(matches!(e, Error::Unsupported { .. }), "{e}");
        assert!(e.to_string().contains("in_progress"), "{e}");

        let r = AssessmentResult::with_status(AssessmentStatus::Completed);
        let e = result_body(&r, at()).unwrap_err();
        assert!(e.to_string().contains("result_url"), "{e}");

        let att = |ct: Option<&str>, data: &str| Attachment {
            name: "a.pdf".into(),
            content_type: ct.map(str::to_owned),
            source: AttachmentSource::Inline {
                data_base64: data.into(),
            },
        };
        let mut r = completed();
        r.attachments = vec![att(Some("application/pdf"), "AAE="); 6];
        let e = result_body(&r, at()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "configuration error: Kombo accepts at most 5 attachments per result; this result has 6"
        );
        r.attachments = vec![att(Some("application/pdf"), "AAE="); 5];
        assert_eq!(result_body(&r, at()).unwrap().attachments.len(), 5);
        for bad in [
            att(None, "AAE="),
            att(Some("pdf"), "AAE="),
            att(Some("application/octet-stream"), "AAE="),
            att(Some("application/pdf"), "not base64!"),
        ] {
            r.attachments = vec![bad];
            assert!(
                matches!(result_body(&r, at()), Err(Error::Config { .. })),
                "{:?}",
                r.attachments
            );
        }
        let mut r = completed();
        r.score = Some(Score {
            value: f64::NAN,
            min: None,
            max: None,
        });
        assert!(matches!(result_body(&r, at()), Err(Error::Config { .. })));
    }

    #[test]
    fn warnings_are_read_leniently() {
        assert_eq!(
            warnings(
                br#"{"status":"success","data":{},"warnings":[{"message":"a"},{"message":""}]}"#
            ),
            ["a"]
        );
        assert!(warnings(br#"{"status":"success","data":{}}"#).is_empty());
        assert!(warnings(b"").is_empty());
    }

    #[test]
    fn rejection_body_shape() {
        assert_eq!(
            serde_json::to_string(&rejection_body("No such test")).unwrap(),
            r#"{"status":"error","error":{"message":"No such test"}}"#
        );
    }

    #[test]
    fn repeated_items_are_capped() {
        let mut body = full_order();
        let member = body["data"]["job"]["hiring_team"][0].clone();
        body["data"]["job"]["hiring_team"] =
            Value::Array(vec![member; ats_core::codec::MAX_ITEMS + 1]);
        let e = order_received(body.to_string().as_bytes(), false, at()).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "data.job.hiring_team"),
            "{e}"
        );
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.report_url = Some(Url::parse("https://vendor.example/r/1").unwrap());
        let section = Section {
            id: "s".into(),
            label: "S".into(),
            score: None,
            passed: Some(true),
            summary: None,
        };
        r.sections = vec![section; ats_core::codec::MAX_ITEMS + 1];
        let e = result_body(&r, at()).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "sections"),
            "{e}"
        );
    }
}
