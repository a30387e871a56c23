//! The unified assessment model: packages, orders and results.
//!
//! Every adapter translates its provider's wire format into these types and
//! back. They serialize to snake_case JSON; optional fields are omitted when
//! empty, so a serialized value only shows what the provider actually sent.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

/// A provider's payload kept as the provider sent it: the JSON text of the
/// value, checked once on arrival and never parsed into a tree.
///
/// Translation keeps every inbound payload beside its typed reading, so a
/// field the model has no place for is never lost. Keeping the text instead
/// of a [`Value`] spares a second parse of every body; a caller who wants the
/// tree asks for it with [`RawJson::to_value`] or reads a typed struct with
/// [`RawJson::parse`].
///
/// It serializes as the JSON it holds (not as a string) and deserializes
/// from any JSON value, so an event's JSON is the same as with a [`Value`]
/// in its place. A payload read back from storage holds the text as
/// serde_json writes it (compact), not the provider's spacing. Two
/// `RawJson` are equal when their JSON values are equal (the text may
/// differ in spacing or key order).
///
/// ```
/// use ats_core::RawJson;
///
/// let raw = RawJson::from_slice(br#"{"id": "42", "custom": {"team": "core"}}"#)?;
/// assert_eq!(raw.get(), r#"{"id": "42", "custom": {"team": "core"}}"#);
/// assert_eq!(raw.to_value()?["custom"]["team"], "core");
/// assert_eq!(raw, serde_json::json!({"custom": {"team": "core"}, "id": "42"}));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct RawJson(Repr);

/// How the text was shown to be JSON.
#[derive(Clone)]
enum Repr {
    /// Checked by serde_json's reader of raw values (or written by it).
    Checked(Box<serde_json::value::RawValue>),
    /// A whole body that a typed parse has just read as one JSON object
    /// (see [`RawJson::read_by_typed_parse`]): JSON by construction, without
    /// a second pass over it. Written out through a borrowed `RawValue`,
    /// which checks it then, once per write.
    Read(Box<str>),
}

/// Writes the JSON it holds, as is.
impl Serialize for RawJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Checked(raw) => raw.serialize(serializer),
            Repr::Read(text) => {
                let raw: &serde_json::value::RawValue =
                    serde_json::from_str(text).map_err(serde::ser::Error::custom)?;
                raw.serialize(serializer)
            }
        }
    }
}

/// Read through a [`Value`], so that it works inside any container and with
/// any deserializer (a bare `RawValue` needs serde_json's own, which an
/// internally tagged enum such as [`InboundEvent`](crate::InboundEvent)
/// does not give it). Translation does not go this way: it keeps the
/// body's text with [`RawJson::from_slice`].
impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        Self::from_serialize(&value).map_err(serde::de::Error::custom)
    }
}

impl RawJson {
    /// JSON `null`: the payload of an event that has none.
    pub fn null() -> Self {
        Self(Repr::Checked(serde_json::value::RawValue::NULL.to_owned()))
    }

    /// Checks that `bytes` hold one JSON value (surrounding white space
    /// allowed) and keeps its text.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes).map(|raw| Self(Repr::Checked(raw)))
    }

    /// Keeps the text of a body that a typed `serde_json` parse has just
    /// read whole, as one JSON object, without reading it again.
    ///
    /// That parse has checked the syntax of every value, skipped ones
    /// included, and that nothing but white space follows. What it does not
    /// check in skipped strings is UTF-8, which `text` being a `str` proves.
    /// JSON white space around the value is dropped, as
    /// [`from_slice`](Self::from_slice) drops it.
    pub(crate) fn read_by_typed_parse(text: &str) -> Self {
        let json_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r');
        Self(Repr::Read(text.trim_matches(json_space).into()))
    }

    /// The JSON text of `value`.
    pub fn from_value(value: &Value) -> Self {
        // writing a `Value` cannot fail: its keys are strings, its numbers
        // finite
        Self::from_serialize(value).unwrap_or_default()
    }

    /// The JSON text of anything serializable, for a payload an adapter
    /// puts together from parts (each part a `RawJson` is written as is).
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::value::to_raw_value(value).map(|raw| Self(Repr::Checked(raw)))
    }

    /// The JSON text: exactly as received from the provider, or as
    /// serde_json wrote it for a payload read back through serde.
    pub fn get(&self) -> &str {
        match &self.0 {
            Repr::Checked(raw) => raw.get(),
            Repr::Read(text) => text,
        }
    }

    /// `true` when the payload is JSON `null`.
    pub fn is_null(&self) -> bool {
        self.get() == "null"
    }

    /// The payload as a [`Value`] tree (parsed on each call).
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(self.get())
    }

    /// Reads the payload into `T`.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.get())
    }
}

impl Default for RawJson {
    /// JSON `null`.
    fn default() -> Self {
        Self::null()
    }
}

/// Shows the size only: a payload can carry a delivery's own token or
/// signature (some providers send both in the body) or a credential a provider put
/// there, and `Debug` output ends up in logs and panic messages. The text
/// is one [`RawJson::get`] away.
impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawJson(<{} bytes of JSON>)", self.get().len())
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
            || matches!((self.to_value(), other.to_value()), (Ok(a), Ok(b)) if a == b)
    }
}

impl PartialEq<Value> for RawJson {
    fn eq(&self, other: &Value) -> bool {
        matches!(self.to_value(), Ok(v) if &v == other)
    }
}

impl From<Box<serde_json::value::RawValue>> for RawJson {
    fn from(raw: Box<serde_json::value::RawValue>) -> Self {
        Self(Repr::Checked(raw))
    }
}

impl From<Value> for RawJson {
    fn from(value: Value) -> Self {
        Self::from_value(&value)
    }
}

impl From<&Value> for RawJson {
    fn from(value: &Value) -> Self {
        Self::from_value(value)
    }
}

/// The vendor's identifier for one customer connection on one provider.
///
/// What it holds is the vendor's choice for direct integrations (it is looked
/// up from the credential the provider presents); for aggregators it is the
/// aggregator's connection id (an integration id, a linked account id).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantId(pub String);

impl TenantId {
    /// Wraps a tenant id.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for TenantId {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

/// What kind of assessment a [`Package`] is.
///
/// Background and reference checks are packages like any other: the order and
/// result flows are the same, only the provider endpoints may differ.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PackageKind {
    /// A skills test (language, numeracy, domain knowledge).
    Skills,
    /// A coding test or take-home programming exercise.
    Coding,
    /// A personality or behavioural questionnaire.
    Personality,
    /// A recorded or live video interview.
    Video,
    /// A background check.
    BackgroundCheck,
    /// A reference check.
    ReferenceCheck,
    /// Anything else, or not stated.
    #[default]
    Other,
}

/// An assessment the vendor offers: what a recruiter picks in the ATS.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Package {
    /// The vendor's stable id for the package; it comes back in every order.
    pub id: String,
    /// The label the ATS shows to recruiters.
    pub name: String,
    /// A longer description, where the provider can show one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The kind of assessment.
    #[serde(default)]
    pub kind: PackageKind,
    /// Provider-specific extras passed through unchanged (for example a
    /// duration or a list of tests inside a background-check package).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extras: Map<String, Value>,
}

impl Package {
    /// A package with an id, a name and everything else empty.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            description: None,
            kind: PackageKind::Other,
            extras: Map::new(),
        }
    }

    /// Sets the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the kind.
    pub fn with_kind(mut self, kind: PackageKind) -> Self {
        self.kind = kind;
        self
    }
}

/// An e-mail address with the provider's label for it ("personal", "work"…).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    /// The address as sent.
    pub address: String,
    /// The provider's type label, where sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A phone number with the provider's label for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone {
    /// The number as sent (no normalisation).
    pub number: String,
    /// The provider's type label, where sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A postal location, as structured as the provider sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The location as one free-text string, when that is all the provider has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Street address lines, first line first, as the provider sends them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub address_lines: Vec<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State, region or province.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Country (name or code, as sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Postal or ZIP code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
}

impl Location {
    /// `true` when no field is set.
    pub fn is_empty(&self) -> bool {
        self == &Location::default()
    }
}

/// The person to be assessed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// The provider's candidate id, where it sends one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The id in the customer's own ATS, when an aggregator relays it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
    /// First (given) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last (family) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// The name the candidate prefers to be addressed by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_name: Option<String>,
    /// E-mail addresses, the one to invite first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<Email>,
    /// Phone numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<Phone>,
    /// Where the candidate is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Link to the candidate's profile in the ATS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_url: Option<String>,
    /// Link to the candidate's resume (often short-lived).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_url: Option<String>,
}

impl Candidate {
    /// The address to send the invitation to: the first e-mail.
    pub fn primary_email(&self) -> Option<&str> {
        self.emails.first().map(|e| e.address.as_str())
    }

    /// "First Last", or whichever of the two is known.
    pub fn full_name(&self) -> Option<String> {
        match (self.first_name.as_deref(), self.last_name.as_deref()) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (Some(n), None) | (None, Some(n)) => Some(n.to_owned()),
            (None, None) => None,
        }
    }
}

/// A person on the ATS side: a recruiter, hiring manager or the requester.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// The provider's user id, where sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Roles on the hiring team, as the provider names them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

/// The candidate's application the assessment belongs to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    /// The provider's application id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The id in the customer's own ATS, when an aggregator relays it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
    /// The application's status in the ATS, as the provider spells it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Link to the application in the ATS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// The job the candidate applied for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// The provider's job id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The id in the customer's own ATS, when an aggregator relays it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
    /// Job title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The job description as the provider sends it (often HTML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The customer's own requisition id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requisition_id: Option<String>,
    /// Link to the job in the ATS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Where the job is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Recruiters, hiring managers and others on the job.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hiring_team: Vec<Person>,
}

/// The ordered package as the ATS describes it in the order, where it does:
/// its name, description and type in the ATS's own words, which may differ
/// from the vendor's [`Package`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderedPackage {
    /// The package's name as the ATS shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The package's description as the ATS has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The package's type as the ATS spells it (not mapped to [`PackageKind`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

impl OrderedPackage {
    /// `true` when no field is set.
    pub fn is_empty(&self) -> bool {
        self == &OrderedPackage::default()
    }
}

/// A request to assess one candidate with one package.
///
/// `raw` keeps the provider's payload exactly as parsed, so a field the
/// unified model has no place for is never lost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssessmentOrder {
    /// The adapter that received the order (its [`crate::AtsProvider::name`]).
    pub provider: String,
    /// The customer connection, once known: set from the credential that
    /// authenticated the request, or from the payload for aggregators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<TenantId>,
    /// The provider's own id for this order, where it has one. Partner APIs
    /// that expect the vendor to mint the id (see [`Acceptance`](crate::Acceptance)) send none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_order_id: Option<String>,
    /// The ordered package's id ([`Package::id`]).
    pub package_id: String,
    /// The ordered package as the ATS describes it, where the order says more
    /// than its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<OrderedPackage>,
    /// The person to assess.
    pub candidate: Candidate,
    /// The application, where the provider sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<Application>,
    /// The job, where the provider sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<Job>,
    /// Who ordered the assessment, where sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<Person>,
    /// Where the provider wants to be told about progress and results, when
    /// it gives a per-order URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<Url>,
    /// When the order arrived (the provider's timestamp when it sends one).
    pub received_at: DateTime<Utc>,
    /// Provider-specific values the adapter needs again to answer this order
    /// later (copied into [`OrderHandle::context`]). Opaque to the vendor.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub context: Map<String, Value>,
    /// Extra fields the provider sent that the model has no place for, such
    /// as custom form fields.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extras: Map<String, Value>,
    /// The provider's payload, untouched.
    pub raw: RawJson,
}

impl AssessmentOrder {
    /// What the vendor keeps to write back to the provider later.
    ///
    /// `vendor_assessment_id` is the vendor's own id for the assessment it
    /// created for this order (the one returned in [`Acceptance`](crate::Acceptance)).
    pub fn handle(&self, vendor_assessment_id: Option<&str>) -> OrderHandle {
        OrderHandle {
            provider: self.provider.clone(),
            tenant: self.tenant.clone(),
            provider_order_id: self.provider_order_id.clone(),
            vendor_assessment_id: vendor_assessment_id.map(str::to_owned),
            package_id: Some(self.package_id.clone()),
            candidate_id: self.candidate.id.clone(),
            callback_url: self.callback_url.clone(),
            context: self.context.clone(),
        }
    }
}

#[cfg(test)]
impl AssessmentOrder {
    /// An order of the stub provider `stub` (tenant `t1`, order `o-1`,
    /// package `p`) for a candidate with one e-mail address.
    pub(crate) fn sample(email: &str, raw: RawJson) -> Self {
        Self {
            provider: "stub".into(),
            tenant: Some(TenantId::new("t1")),
            provider_order_id: Some("o-1".into()),
            package_id: "p".into(),
            package: None,
            candidate: Candidate {
                emails: vec![Email {
                    address: email.into(),
                    kind: None,
                }],
                ..Candidate::default()
            },
            application: None,
            job: None,
            requested_by: None,
            callback_url: None,
            received_at: DateTime::UNIX_EPOCH,
            context: Map::new(),
            extras: Map::new(),
            raw,
        }
    }
}

/// Everything needed to write a result back for an order: persist it when
/// the order is accepted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderHandle {
    /// The adapter's name.
    pub provider: String,
    /// The customer connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<TenantId>,
    /// The provider's order id, where it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_order_id: Option<String>,
    /// The vendor's assessment id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_assessment_id: Option<String>,
    /// The ordered package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_id: Option<String>,
    /// The provider's candidate id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_id: Option<String>,
    /// The per-order callback URL, where the provider gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<Url>,
    /// Adapter-specific values (see [`AssessmentOrder::context`]).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub context: Map<String, Value>,
}

/// Where an assessment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentStatus {
    /// The candidate has been invited and has not started.
    Invited,
    /// The candidate has started.
    InProgress,
    /// Finished, with results.
    Completed,
    /// Cancelled by the recruiter, the candidate or the vendor.
    Cancelled,
    /// The invitation ran out before the candidate finished.
    Expired,
    /// The assessment could not be carried out.
    Error,
}

impl AssessmentStatus {
    /// `true` for the statuses after which nothing changes any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Cancelled | Self::Expired | Self::Error
        )
    }

    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invited => "invited",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
            Self::Error => "error",
        }
    }
}

impl fmt::Display for AssessmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A numeric score, with the maximum it is out of where there is one.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// The score.
    pub value: f64,
    /// The lowest possible score, where it is not zero or the provider
    /// asks for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The highest possible score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

impl Score {
    /// A score out of `max`.
    pub fn out_of(value: f64, max: f64) -> Self {
        Self {
            value,
            min: None,
            max: Some(max),
        }
    }

    /// A score with no stated range.
    pub fn bare(value: f64) -> Self {
        Self {
            value,
            min: None,
            max: None,
        }
    }

    /// The score as a percentage of `max`, when `max` is known and positive.
    pub fn percent(&self) -> Option<f64> {
        match self.max {
            Some(max) if max > 0.0 => Some(self.value / max * 100.0),
            _ => None,
        }
    }
}

/// The result of one part of an assessment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// The vendor's stable id for the section.
    pub id: String,
    /// The section's title.
    pub label: String,
    /// Its score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Score>,
    /// Pass/fail of the section, where it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
    /// Free-text summary of the section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

/// Where an attachment's bytes are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttachmentSource {
    /// Downloadable from this URL.
    Url {
        /// The URL.
        url: Url,
    },
    /// The content itself, base64-encoded (standard alphabet, padded).
    Inline {
        /// The base64 text.
        data_base64: String,
    },
}

/// A file that goes with a result: a PDF report, a recording.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// File name with extension, as the ATS should show it.
    pub name: String,
    /// MIME type, e.g. `application/pdf`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The bytes or where to fetch them.
    #[serde(flatten)]
    pub source: AttachmentSource,
}

/// The value of an extra result attribute.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttributeValue {
    /// A yes/no value.
    Bool(bool),
    /// A number.
    Number(f64),
    /// Text.
    Text(String),
}

impl fmt::Display for AttributeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool(b) => write!(f, "{b}"),
            Self::Number(n) => write!(f, "{n}"),
            Self::Text(t) => f.write_str(t),
        }
    }
}

/// A labelled extra value shown with the result ("Time taken": 42).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attribute {
    /// The vendor's stable key; sending the same id again replaces the value
    /// where the provider supports updates.
    pub id: String,
    /// The label shown to recruiters.
    pub label: String,
    /// The value.
    pub value: AttributeValue,
}

/// The state and outcome of an assessment, as the vendor reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssessmentResult {
    /// Where the assessment stands.
    pub status: AssessmentStatus,
    /// The overall score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Score>,
    /// Overall pass/fail, where the assessment has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
    /// A grade or band ("A", "Strong hire", "Clear").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
    /// The full report on the vendor's side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_url: Option<Url>,
    /// The link the candidate uses to take the assessment (as in
    /// [`Acceptance::candidate_url`](crate::Acceptance)), for providers that
    /// ask for it after the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_url: Option<Url>,
    /// The candidate's page on the vendor's side (all of their assessments),
    /// for providers that link to it apart from the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_profile_url: Option<Url>,
    /// A short summary for recruiters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Per-section results.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<Section>,
    /// Files that go with the result.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// When the candidate started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    /// When the assessment reached its final status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<DateTime<Utc>>,
    /// Why the assessment was cancelled, expired or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// Extra labelled values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
    /// Values for one provider only, keyed by the adapter's name
    /// ([`crate::AtsProvider::name`]). Each adapter documents what it reads
    /// under its own name (fields of its result body the model has no place
    /// for) and refuses what it does not know; other adapters ignore the key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: BTreeMap<String, Value>,
}

impl AssessmentResult {
    /// A result with a status and nothing else.
    pub fn with_status(status: AssessmentStatus) -> Self {
        Self {
            status,
            score: None,
            passed: None,
            grade: None,
            report_url: None,
            candidate_url: None,
            candidate_profile_url: None,
            summary: None,
            sections: Vec::new(),
            attachments: Vec::new(),
            started_at: None,
            completed_at: None,
            status_reason: None,
            attributes: Vec::new(),
            extensions: BTreeMap::new(),
        }
    }

    /// The value an adapter reads under its own name in
    /// [`extensions`](Self::extensions), if any.
    pub fn extension(&self, adapter: &str) -> Option<&Value> {
        self.extensions.get(adapter)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn raw_json_keeps_the_text_and_compares_by_value() {
        let body = b" {\"b\": [1, 2.5, null], \"a\": \"x\"} \n";
        let raw = RawJson::from_slice(body).unwrap();
        // the value's own text, white space inside kept, around it dropped
        assert_eq!(raw.get(), r#"{"b": [1, 2.5, null], "a": "x"}"#);
        assert_eq!(
            raw,
            RawJson::from_slice(br#"{"a":"x","b":[1,2.5,null]}"#).unwrap()
        );
        assert_ne!(
            raw,
            RawJson::from_slice(br#"{"a":"y","b":[1,2.5,null]}"#).unwrap()
        );
        assert_eq!(raw, serde_json::json!({"a": "x", "b": [1, 2.5, null]}));
        assert_ne!(raw, serde_json::json!({"a": "x"}));
        // written into an enclosing document as JSON, not as a string
        #[derive(Serialize)]
        struct Enclosing<'a> {
            raw: &'a RawJson,
        }
        assert_eq!(
            serde_json::to_string(&Enclosing { raw: &raw }).unwrap(),
            r#"{"raw":{"b": [1, 2.5, null], "a": "x"}}"#
        );
        for bad in [&b""[..], b"{", b"{} {}", b"nul", b"\xff"] {
            assert!(RawJson::from_slice(bad).is_err(), "{bad:?}");
        }
        assert!(RawJson::null().is_null());
        assert_eq!(RawJson::default().get(), "null");
        assert!(!raw.is_null());
        assert_eq!(format!("{raw:?}"), "RawJson(<31 bytes of JSON>)");
        // an order's Debug output shows none of its payload
        let delivery = RawJson::from_slice(
            br#"{"token":"d41d8cd98f00b204","signature":"9a0364b9e99bb480dd25e1f0284c8555","data":{}}"#,
        )
        .unwrap();
        let order = AssessmentOrder::sample("a@example.com", delivery);
        let debug = format!("{order:?}");
        assert!(
            debug.contains("raw: RawJson(<85 bytes of JSON>)"),
            "{debug}"
        );
        for secret in ["d41d8cd98f00b204", "9a0364b9e99bb480dd25e1f0284c8555"] {
            assert!(!debug.contains(secret), "{debug}");
        }
    }

    #[test]
    fn raw_json_from_a_tree_or_parts() {
        let tree = json!({"b": [1, "x"], "a": null});
        // key order kept (the workspace's serde_json preserves it)
        assert_eq!(
            RawJson::from_value(&tree).get(),
            r#"{"b":[1,"x"],"a":null}"#
        );
        assert_eq!(
            RawJson::from(tree.clone()).get(),
            r#"{"b":[1,"x"],"a":null}"#
        );
        assert_eq!(RawJson::from(&tree).get(), r#"{"b":[1,"x"],"a":null}"#);
        let text: Box<serde_json::value::RawValue> =
            serde_json::from_str(r#"{"k": [true]}"#).unwrap();
        assert_eq!(RawJson::from(text).get(), r#"{"k": [true]}"#);
        #[derive(Serialize)]
        struct Parts<'a> {
            webhook: &'a RawJson,
            n: u8,
        }
        let part = RawJson::from_slice(br#"{"id": 7}"#).unwrap();
        let whole = RawJson::from_serialize(&Parts {
            webhook: &part,
            n: 2,
        })
        .unwrap();
        assert_eq!(whole.get(), r#"{"webhook":{"id": 7},"n":2}"#);
    }

    #[test]
    fn emptiness_names_and_display() {
        assert!(Location::default().is_empty());
        let city = Location {
            city: Some("Lisbon".into()),
            ..Location::default()
        };
        assert!(!city.is_empty());
        assert!(OrderedPackage::default().is_empty());
        let named = OrderedPackage {
            name: Some("Rust".into()),
            ..OrderedPackage::default()
        };
        assert!(!named.is_empty());
        for (status, name) in [
            (AssessmentStatus::Invited, "invited"),
            (AssessmentStatus::InProgress, "in_progress"),
            (AssessmentStatus::Completed, "completed"),
            (AssessmentStatus::Cancelled, "cancelled"),
            (AssessmentStatus::Expired, "expired"),
            (AssessmentStatus::Error, "error"),
        ] {
            assert_eq!(status.as_str(), name);
            assert_eq!(status.to_string(), name);
            // the JSON name is the same
            assert_eq!(serde_json::to_value(status).unwrap(), json!(name));
        }
        assert_eq!(AttributeValue::Bool(true).to_string(), "true");
        assert_eq!(AttributeValue::Number(42.5).to_string(), "42.5");
        assert_eq!(AttributeValue::Text("fast".into()).to_string(), "fast");
    }

    #[test]
    fn raw_json_reads_inside_a_tagged_enum() {
        // the events are internally tagged: their fields reach RawJson
        // through serde's buffered content, not serde_json's parser
        let event: crate::InboundEvent = serde_json::from_str(
            r#"{"type":"order_cancelled","provider":"p","order":{"provider_order_id":"o1"},
                "received_at":"2026-01-01T00:00:00Z","raw":{"id":"o1","n":[1,{"x":null}]}}"#,
        )
        .unwrap();
        let crate::InboundEvent::OrderCancelled(c) = event else {
            panic!("{event:?}")
        };
        assert_eq!(c.raw.get(), r#"{"id":"o1","n":[1,{"x":null}]}"#);
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(
            back["raw"],
            serde_json::json!({"id": "o1", "n": [1, {"x": null}]})
        );
        let parsed: serde_json::Map<String, Value> = c.raw.parse().unwrap();
        assert_eq!(parsed["id"], "o1");
    }

    use super::*;
    use serde_json::json;

    #[test]
    fn result_serializes_snake_case_and_omits_empty_fields() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::InProgress);
        r.score = Some(Score::out_of(42.0, 50.0));
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"status": "in_progress", "score": {"value": 42.0, "max": 50.0}})
        );
    }

    #[test]
    fn attachment_sources_are_distinguished_by_field() {
        let a: Attachment =
            serde_json::from_value(json!({"name": "r.pdf", "url": "https://x.example/r.pdf"}))
                .unwrap();
        assert!(matches!(a.source, AttachmentSource::Url { .. }));
        let b: Attachment =
            serde_json::from_value(json!({"name": "r.pdf", "data_base64": "AAE="})).unwrap();
        assert_eq!(
            b.source,
            AttachmentSource::Inline {
                data_base64: "AAE=".into()
            }
        );
    }

    #[test]
    fn attribute_values_keep_their_json_type() {
        let v: Vec<AttributeValue> = serde_json::from_value(json!([true, 3.5, "x"])).unwrap();
        assert_eq!(
            v,
            vec![
                AttributeValue::Bool(true),
                AttributeValue::Number(3.5),
                AttributeValue::Text("x".into())
            ]
        );
    }

    #[test]
    fn new_optional_fields_are_left_out_when_empty() {
        let job = Job {
            id: Some("j".into()),
            location: Some(Location {
                city: Some("Lisbon".into()),
                ..Location::default()
            }),
            ..Job::default()
        };
        assert_eq!(
            serde_json::to_string(&job).unwrap(),
            r#"{"id":"j","location":{"city":"Lisbon"}}"#
        );
        let r = AssessmentResult::with_status(AssessmentStatus::Completed);
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"status":"completed"}"#
        );
        assert_eq!(
            serde_json::to_string(&Score::bare(3.0)).unwrap(),
            r#"{"value":3.0}"#
        );
    }

    #[test]
    fn new_fields_round_trip() {
        let job: Job = serde_json::from_value(json!({
            "id": "j", "remote_id": "ats-j", "description": "<p>Build</p>",
            "location": {"address_lines": ["Rua Exemplo 10", "2º andar"], "city": "Lisbon"}
        }))
        .unwrap();
        assert_eq!(job.remote_id.as_deref(), Some("ats-j"));
        assert_eq!(job.description.as_deref(), Some("<p>Build</p>"));
        assert_eq!(
            job.location.as_ref().unwrap().address_lines,
            ["Rua Exemplo 10", "2º andar"]
        );
        assert!(!job.location.unwrap().is_empty());
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.score = Some(Score {
            value: 7.0,
            min: Some(-5.0),
            max: Some(10.0),
        });
        r.extensions
            .insert("some_ats".into(), json!({"remote_fields": {"a": 1}}));
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(
            text,
            r#"{"status":"completed","score":{"value":7.0,"min":-5.0,"max":10.0},"extensions":{"some_ats":{"remote_fields":{"a":1}}}}"#
        );
        let back: AssessmentResult = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r);
        assert_eq!(
            back.extension("some_ats"),
            Some(&json!({"remote_fields": {"a": 1}}))
        );
        assert_eq!(back.extension("other"), None);
        assert!(OrderedPackage::default().is_empty());
    }

    #[test]
    fn score_percent() {
        assert_eq!(Score::out_of(40.0, 50.0).percent(), Some(80.0));
        assert_eq!(Score::out_of(1.0, 0.0).percent(), None);
    }

    #[test]
    fn final_statuses() {
        assert!(AssessmentStatus::Completed.is_final());
        assert!(!AssessmentStatus::InProgress.is_final());
    }

    #[test]
    fn candidate_names_and_email() {
        let c = Candidate {
            first_name: Some("Ada".into()),
            emails: vec![Email {
                address: "ada@example.com".into(),
                kind: None,
            }],
            ..Candidate::default()
        };
        assert_eq!(c.full_name().as_deref(), Some("Ada"));
        assert_eq!(c.primary_email(), Some("ada@example.com"));
    }
}
