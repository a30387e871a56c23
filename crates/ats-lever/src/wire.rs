//! Lever wire structs, field names exactly as in Lever's developer
//! documentation (`docs/providers/lever.md`).
//!
//! Lever promises to add fields without notice, so unknown fields are
//! ignored everywhere, and everything Lever's documentation does not
//! guarantee is an `Option` (or an empty list when absent or `null`).
//! Timestamps are milliseconds since the Unix epoch; Lever's own examples
//! sometimes show them as strings, so both forms are accepted ([`Millis`]).

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------
// Webhooks (Lever → vendor)
// ---------------------------------------------------------------------------

/// The envelope of every webhook delivery.
///
/// Only `event` is needed to route a delivery; the other fields are checked
/// where they are used, so a missing one is reported under its own name.
#[derive(Clone, Debug, Deserialize)]
pub struct WebhookDelivery {
    /// "Event UID". Listed in Lever's schema, absent from its examples.
    #[serde(default)]
    pub id: Option<String>,
    /// The event name (`candidateStageChange`, …).
    #[serde(default)]
    pub event: Option<String>,
    /// When the event fired, in milliseconds; signed together with `token`.
    #[serde(default, rename = "triggeredAt")]
    pub triggered_at: Option<TriggeredAt>,
    /// A random string, unique per delivery; signed together with
    /// `triggeredAt` and used for replay protection.
    #[serde(default)]
    pub token: Option<String>,
    /// Lower-case hex HMAC-SHA256 of `token + triggeredAt`, keyed with the
    /// webhook's signature token. Absent when no signature token was
    /// generated for the webhook.
    #[serde(default)]
    pub signature: Option<String>,
    /// The event's payload (`{}` for the settings page's test delivery).
    /// Kept as its JSON text here: each event's fields are read by
    /// [`EventData`].
    #[serde(default)]
    pub data: Option<Box<serde_json::value::RawValue>>,
}

/// `data` of the candidate events. Lever documents the fields of
/// `candidateStageChange` by example; the other events' fields are not in
/// the documentation and are read as optional (`docs/providers/lever.md` §4.6).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct EventData {
    /// The opportunity (one candidacy).
    #[serde(default, rename = "opportunityId")]
    pub opportunity_id: Option<String>,
    /// Deprecated copy of the opportunity id.
    #[serde(default, rename = "candidateId")]
    pub candidate_id: Option<String>,
    /// The contact (the person).
    #[serde(default, rename = "contactId")]
    pub contact_id: Option<String>,
    /// `candidateStageChange`: the stage the opportunity moved to.
    #[serde(default, rename = "toStageId")]
    pub to_stage_id: Option<String>,
    /// `candidateStageChange`: the stage it came from.
    #[serde(default, rename = "fromStageId")]
    pub from_stage_id: Option<String>,
    /// `candidateArchiveChange`: the archive state before (`null` when it
    /// was not archived).
    #[serde(default, rename = "fromArchived")]
    pub from_archived: Option<ArchiveState>,
    /// `candidateArchiveChange`: the archive state after: `Some(None)` when
    /// Lever sent `null` (the opportunity was unarchived), `None` when the
    /// field is absent.
    #[serde(default, rename = "toArchived", deserialize_with = "present")]
    pub to_archived: Option<Option<ArchiveState>>,
}

/// For a field whose `null` means something: `Some(None)` for `null` (an
/// absent field stays `None` through `#[serde(default)]`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// An archive state: when and why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveState {
    /// When it was archived.
    #[serde(
        default,
        rename = "archivedAt",
        skip_serializing_if = "Option::is_none"
    )]
    pub archived_at: Option<Millis>,
    /// The archive reason id (`GET /archive_reasons/:id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `triggeredAt`: the timestamp, and its decimal text exactly as it enters
/// the signed message (`token + triggeredAt`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TriggeredAt {
    /// Milliseconds since the Unix epoch.
    pub millis: i64,
    /// The base-10 text signed by Lever (what JavaScript's `+` produces).
    pub text: String,
}

impl<'de> Deserialize<'de> for TriggeredAt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let millis = d.deserialize_any(MillisVisitor)?;
        Ok(Self {
            millis: millis.0,
            text: millis.0.to_string(),
        })
    }
}

/// A timestamp in milliseconds since the Unix epoch, read from an integer
/// or from a string of digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Millis(pub i64);

impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MillisVisitor)
    }
}

struct MillisVisitor;

impl Visitor<'_> for MillisVisitor {
    type Value = Millis;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a timestamp in milliseconds (an integer or a string of digits)")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Millis, E> {
        Ok(Millis(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Millis, E> {
        i64::try_from(v)
            .map(Millis)
            .map_err(|_| E::custom("timestamp out of range"))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Millis, E> {
        // `1767261600123.0` is still a whole number of milliseconds.
        if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15 {
            Ok(Millis(v as i64))
        } else {
            Err(E::custom("expected a whole number of milliseconds"))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Millis, E> {
        let digits = v.strip_prefix('-').unwrap_or(v);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(E::custom("expected a string of digits"));
        }
        v.parse::<i64>()
            .map(Millis)
            .map_err(|_| E::custom("timestamp out of range"))
    }
}

// ---------------------------------------------------------------------------
// REST API (vendor → Lever)
// ---------------------------------------------------------------------------

/// Lever's envelope around a single object: `{"data": …}`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct DataEnvelope<T> {
    /// The object.
    pub data: T,
}

/// One page of a list: `{"data": [...], "hasNext": bool, "next": "<offset>"}`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct ListPage<T> {
    /// The items of this page.
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    pub data: Vec<T>,
    /// Whether another page follows; several of Lever's examples leave it out
    /// (read as `false`).
    #[serde(default, rename = "hasNext")]
    pub has_next: Option<bool>,
    /// The opaque offset token of the next page.
    #[serde(default)]
    pub next: Option<String>,
}

/// An id, or the object it names when the request expanded it
/// (`?expand=stage`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Expandable<T> {
    /// The id only.
    Id(String),
    /// The expanded object.
    Object(T),
}

/// Something with an id (an expanded contact, user or posting reference).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Identified {
    /// Its id.
    #[serde(default)]
    pub id: Option<String>,
}

/// `GET /opportunities/:opportunity` (`data`), read with
/// `?expand=applications&expand=stage`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Opportunity {
    /// The opportunity id.
    #[serde(default)]
    pub id: Option<String>,
    /// The contact's full name.
    #[serde(default)]
    pub name: Option<String>,
    /// Previous companies or schools.
    #[serde(default)]
    pub headline: Option<String>,
    /// The contact id (an object when expanded).
    #[serde(default)]
    pub contact: Option<Expandable<Identified>>,
    /// E-mail addresses (possibly none).
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    pub emails: Vec<String>,
    /// Phone numbers.
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    pub phones: Vec<PhoneNumber>,
    /// Free-text location (a string on opportunities).
    #[serde(default)]
    pub location: Option<String>,
    /// Links (portfolio, profiles).
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    pub links: Vec<String>,
    /// The current stage: an id, or `{id, text}` when expanded.
    #[serde(default)]
    pub stage: Option<Expandable<Stage>>,
    /// The stage history.
    #[serde(
        default = "Vec::new",
        rename = "stageChanges",
        deserialize_with = "null_as_empty"
    )]
    pub stage_changes: Vec<StageChange>,
    /// The archive state as the attribute list documents it (`null` when
    /// active).
    #[serde(default)]
    pub archived: Option<ArchiveState>,
    /// The archive time as Lever's example response shows it.
    #[serde(default, rename = "archivedAt")]
    pub archived_at: Option<Millis>,
    /// The archive reason id as Lever's example response shows it.
    #[serde(default, rename = "archiveReason")]
    pub archive_reason: Option<String>,
    /// Tags, exactly as shown in Lever.
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    pub tags: Vec<String>,
    /// `agency`, `applied`, `internal`, `referred`, `sourced`, `university`.
    #[serde(default)]
    pub origin: Option<String>,
    /// `non-confidential` or `confidential`.
    #[serde(default)]
    pub confidentiality: Option<String>,
    /// At most one application; objects with `?expand=applications`.
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    pub applications: Vec<Expandable<OpportunityApplication>>,
    /// Links into Lever.
    #[serde(default)]
    pub urls: Option<OpportunityUrls>,
    /// `true` once personal data has been removed.
    #[serde(default, rename = "isAnonymized")]
    pub is_anonymized: Option<bool>,
    /// Set on deleted opportunities only.
    #[serde(default, rename = "deletedAt")]
    pub deleted_at: Option<Millis>,
}

/// A phone number of an opportunity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct PhoneNumber {
    /// `mobile`, `work`…; may be missing or `null`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The number as entered.
    #[serde(default)]
    pub value: Option<String>,
}

/// A pipeline stage (`GET /stages`, or an expanded `stage`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    /// The stage id (what webhooks carry).
    #[serde(default)]
    pub id: Option<String>,
    /// The stage's name as shown in Lever.
    #[serde(default)]
    pub text: Option<String>,
}

/// One entry of an opportunity's stage history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct StageChange {
    /// The stage moved to.
    #[serde(default, rename = "toStageId")]
    pub to_stage_id: Option<String>,
    /// The user who moved it.
    #[serde(default, rename = "userId")]
    pub user_id: Option<String>,
    /// When.
    #[serde(default, rename = "updatedAt")]
    pub updated_at: Option<Millis>,
}

/// An expanded application of an opportunity.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct OpportunityApplication {
    /// The application id.
    #[serde(default)]
    pub id: Option<String>,
    /// `posting`, `user` or `referral`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The posting (job) applied to: an id, or an object when expanded.
    #[serde(default)]
    pub posting: Option<Expandable<Identified>>,
}

/// `urls` of an opportunity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct OpportunityUrls {
    /// The candidate list.
    #[serde(default)]
    pub list: Option<String>,
    /// This candidate's profile in Lever.
    #[serde(default)]
    pub show: Option<String>,
}

/// `GET /postings/:posting` (`data`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Posting {
    /// The posting id.
    #[serde(default)]
    pub id: Option<String>,
    /// The job title.
    #[serde(default)]
    pub text: Option<String>,
    /// `published`, `internal`, `closed`, `draft`, `pending`, `rejected`.
    #[serde(default)]
    pub state: Option<String>,
    /// The posting owner (user id, an object when expanded).
    #[serde(default)]
    pub owner: Option<Expandable<Identified>>,
    /// The hiring manager (user id, an object when expanded).
    #[serde(default, rename = "hiringManager")]
    pub hiring_manager: Option<Expandable<Identified>>,
    /// Team, department, location…
    #[serde(default)]
    pub categories: Option<PostingCategories>,
    /// Deprecated requisition code.
    #[serde(default, rename = "reqCode")]
    pub req_code: Option<String>,
    /// Requisition codes.
    #[serde(
        default = "Vec::new",
        rename = "requisitionCodes",
        deserialize_with = "null_as_empty"
    )]
    pub requisition_codes: Vec<String>,
    /// Links to the job.
    #[serde(default)]
    pub urls: Option<PostingUrls>,
}

/// `categories` of a posting.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct PostingCategories {
    /// Team.
    #[serde(default)]
    pub team: Option<String>,
    /// Department.
    #[serde(default)]
    pub department: Option<String>,
    /// Primary location.
    #[serde(default)]
    pub location: Option<String>,
    /// `Full-time`…
    #[serde(default)]
    pub commitment: Option<String>,
    /// Level.
    #[serde(default)]
    pub level: Option<String>,
}

/// `urls` of a posting.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct PostingUrls {
    /// The job list.
    #[serde(default)]
    pub list: Option<String>,
    /// The posting's page.
    #[serde(default)]
    pub show: Option<String>,
    /// The application form.
    #[serde(default)]
    pub apply: Option<String>,
}

/// Body of `POST /opportunities/:opportunity/notes`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateNote {
    /// The note's text.
    pub value: String,
    /// Whether only users with sensitive-information rights on the
    /// candidate's postings (and users mentioned) see the note (Lever's
    /// default `false` is sent by leaving the field out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<bool>,
    /// Lever's thumbs score, 1 (strong no) to 4 (strong yes); none by
    /// default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<u8>,
    /// Whether everyone following the candidate is notified (Lever's
    /// default `false` is sent by leaving the field out).
    #[serde(
        default,
        rename = "notifyFollowers",
        skip_serializing_if = "Option::is_none"
    )]
    pub notify_followers: Option<bool>,
    /// When the note is dated (milliseconds); Lever dates it "now" when
    /// left out and refuses future times.
    #[serde(default, rename = "createdAt", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
}

/// Answer to `POST /opportunities/:opportunity/notes` (`data`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct CreatedNote {
    /// The new note's id.
    #[serde(default, rename = "noteId")]
    pub note_id: Option<String>,
}

/// One note of `GET /opportunities/:opportunity/notes`: only what tells
/// whether a note was already written.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Note {
    /// The note's id.
    #[serde(default)]
    pub id: Option<String>,
    /// The note's title as Lever shows it.
    #[serde(default)]
    pub text: Option<String>,
    /// The note's content: a note posted with `value` lists it as a field
    /// whose `value` is that text.
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    pub fields: Vec<NoteField>,
    /// When the note was deleted (deleted notes do not count as written).
    #[serde(default, rename = "deletedAt")]
    pub deleted_at: Option<serde_json::Value>,
}

/// One field of a [`Note`]: `{"type", "text", "value"}`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct NoteField {
    /// The field's kind (`note` for a plain note).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The field's value: text for a plain note, other JSON for scores.
    #[serde(default)]
    pub value: Option<serde_json::Value>,
}

impl Note {
    /// Whether this note, not deleted, holds exactly `value` (surrounding
    /// whitespace aside): the note a `POST` of `value` wrote.
    pub fn holds(&self, value: &str) -> bool {
        let value = value.trim();
        self.deleted_at
            .as_ref()
            .is_none_or(serde_json::Value::is_null)
            && self.fields.iter().any(|f| {
                f.value
                    .as_ref()
                    .and_then(serde_json::Value::as_str)
                    .is_some_and(|v| v.trim() == value)
            })
    }
}

/// Body of `POST /opportunities/:opportunity/addTags` and `/removeTags`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tags {
    /// Tags, exactly as shown in Lever.
    pub tags: Vec<String>,
}

/// Lever's error body: `{"code": "ResourceNotFound", "message": "…"}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ApiError {
    /// Machine-readable code (an open set).
    #[serde(default)]
    pub code: Option<String>,
    /// What went wrong.
    #[serde(default)]
    pub message: Option<String>,
}

/// The token endpoint's error body (RFC 6749 §5.2), read by
/// [`ats_core::oauth`].
pub use ats_core::oauth::TokenError;

/// The body this adapter answers webhook deliveries with. Lever only looks
/// at the status (any 2xx is a success), but shows the body in the webhook
/// delivery history, where it helps an administrator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookAnswer {
    /// `accepted`, `rejected` or `acknowledged`.
    pub status: String,
    /// The vendor's assessment id (accepted orders).
    #[serde(
        default,
        rename = "assessmentId",
        skip_serializing_if = "Option::is_none"
    )]
    pub assessment_id: Option<String>,
    /// Why the order was refused (rejected orders).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The vendor's message (rejected orders).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The body of an error answer to a webhook delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: String,
}

/// `null` or a missing list read as an empty list.
fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn triggered_at_keeps_the_signed_text() {
        let d: WebhookDelivery =
            serde_json::from_value(json!({"event": "x", "triggeredAt": 1767261600123u64})).unwrap();
        let t = d.triggered_at.unwrap();
        assert_eq!(
            (t.millis, t.text.as_str()),
            (1767261600123, "1767261600123")
        );
        let d: WebhookDelivery =
            serde_json::from_value(json!({"triggeredAt": "1767261600123"})).unwrap();
        assert_eq!(d.triggered_at.unwrap().text, "1767261600123");
        let d: WebhookDelivery =
            serde_json::from_value(json!({"triggeredAt": 1767261600123.0})).unwrap();
        assert_eq!(d.triggered_at.unwrap().text, "1767261600123");
        for bad in [
            json!("12a"),
            json!(""),
            json!(1.5),
            json!(true),
            json!("1e3"),
        ] {
            assert!(
                serde_json::from_value::<WebhookDelivery>(json!({ "triggeredAt": bad })).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn opportunity_reads_ids_or_expanded_objects_and_nulls() {
        let o: Opportunity = serde_json::from_value(json!({
            "id": "o1", "emails": null, "phones": [{"type": null, "value": "+1 555 0100"}],
            "stage": {"id": "s1", "text": "Skills Assessment"},
            "applications": ["a1"], "contact": "c1", "archivedAt": "1767528000000",
            "unknownField": {"nested": true}
        }))
        .unwrap();
        assert!(o.emails.is_empty());
        assert_eq!(o.phones[0].kind, None);
        assert_eq!(
            o.stage,
            Some(Expandable::Object(Stage {
                id: Some("s1".into()),
                text: Some("Skills Assessment".into())
            }))
        );
        assert_eq!(o.applications, vec![Expandable::Id("a1".into())]);
        assert_eq!(o.contact, Some(Expandable::Id("c1".into())));
        assert_eq!(o.archived_at, Some(Millis(1_767_528_000_000)));
    }

    #[test]
    fn note_body_leaves_out_unset_fields() {
        let n = CreateNote {
            value: "v".into(),
            secret: None,
            score: None,
            notify_followers: None,
            created_at: None,
        };
        assert_eq!(serde_json::to_string(&n).unwrap(), r#"{"value":"v"}"#);
        let n = CreateNote {
            secret: Some(true),
            score: Some(3),
            notify_followers: Some(true),
            created_at: Some(1_767_196_800_000),
            ..n
        };
        assert_eq!(
            serde_json::to_string(&n).unwrap(),
            r#"{"value":"v","secret":true,"score":3,"notifyFollowers":true,"createdAt":1767196800000}"#
        );
    }

    #[test]
    fn a_note_holds_its_exact_text_unless_deleted() {
        let note: Note = serde_json::from_value(json!({
            "id": "n1", "text": "Notes",
            "fields": [{"type": "note", "text": "Note", "value": "Acme: completed\nRef: asm_1\n"}],
            "deletedAt": null
        }))
        .unwrap();
        assert!(note.holds("Acme: completed\nRef: asm_1"));
        assert!(!note.holds("Acme: completed\nRef: asm_2"));
        assert!(!note.holds("Acme: completed"));
        let deleted: Note = serde_json::from_value(json!({
            "fields": [{"type": "note", "value": "Acme: completed\nRef: asm_1"}],
            "deletedAt": 1767614401000_i64
        }))
        .unwrap();
        assert!(!deleted.holds("Acme: completed\nRef: asm_1"));
        // a score field (a number) or no fields at all hold no text
        let other: Note =
            serde_json::from_value(json!({"fields": [{"type": "score-system", "value": 3}]}))
                .unwrap();
        assert!(!other.holds("3"));
        let empty: Note = serde_json::from_value(json!({"fields": null})).unwrap();
        assert!(!empty.holds(""));
    }

    #[test]
    fn list_page_without_has_next() {
        let p: ListPage<Stage> = serde_json::from_value(json!({"data": [{"id": "s"}]})).unwrap();
        assert_eq!(p.has_next, None);
        assert_eq!(p.data.len(), 1);
    }
}
