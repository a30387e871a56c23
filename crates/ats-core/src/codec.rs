//! JSON decoding that reports *where* a payload is wrong.

use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::model::RawJson;

/// Decodes a JSON body into a wire struct.
///
/// Errors are [`Error::Malformed`] with the dotted path of the offending
/// field (`candidate.email`), `.` for the body as a whole (empty, not JSON,
/// truncated, trailing garbage).
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::malformed(".", "empty body"));
    }
    // the plain parse first: tracking field paths doubles the cost, and
    // only a failure needs them, so a failure is parsed again with them
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() {
            // broken JSON: name the deepest field it breaks in, also inside
            // a part the wire struct skips or keeps as text
            if let Err(deep) = path_error::<serde_json::Value>(body) {
                return deep;
            }
        }
        let path = clean_path(&e.path().to_string());
        Error::malformed(path, strip_position(&e.into_inner()))
    })?;
    de.end()
        .map_err(|e| Error::malformed(".", strip_position(&e)))?;
    Ok(value)
}

/// Parses `body` as `T` with field paths tracked: only for an error.
fn path_error<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = clean_path(&e.path().to_string());
        Error::malformed(path, strip_position(&e.into_inner()))
    })
}

/// Decodes a JSON *object* body into a wire struct.
///
/// serde lets a struct be read from a JSON array too (fields by position),
/// which turns a wrong-shaped body into confusing errors at `[1]`; payloads
/// are objects, so anything else is refused up front at `.`.
pub fn decode_json_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        None => Err(Error::malformed(".", "empty body")),
        Some(b'{') => decode_json(body),
        Some(_) => {
            // not an object: say what it is, if it is JSON at all
            let what = match serde_json::from_slice::<serde_json::Value>(body) {
                Ok(serde_json::Value::Array(_)) => "an array",
                Ok(serde_json::Value::String(_)) => "a string",
                Ok(serde_json::Value::Number(_)) => "a number",
                Ok(serde_json::Value::Bool(_)) => "a boolean",
                Ok(serde_json::Value::Null) => "null",
                Ok(serde_json::Value::Object(_)) => "an object",
                Err(e) => return Err(Error::malformed(".", strip_position(&e))),
            };
            Err(Error::malformed(
                ".",
                format!("expected a JSON object, found {what}"),
            ))
        }
    }
}

/// Decodes a JSON object body into both a wire struct and the payload's
/// text ([`RawJson`]), so the untouched payload can be kept beside its
/// translation without parsing it into a tree a second time.
pub fn decode_json_with_raw<T: DeserializeOwned>(body: &[u8]) -> Result<(T, RawJson), Error> {
    let typed = decode_json_object(body)?;
    // the typed parse has read the whole body as one object, so its text
    // is kept without a second pass; only UTF-8 in the parts it skipped is
    // left to check
    let text = std::str::from_utf8(body).map_err(|e| {
        Error::malformed(
            ".",
            format!("invalid UTF-8 at byte {} of the body", e.valid_up_to()),
        )
    })?;
    Ok((typed, RawJson::read_by_typed_parse(text)))
}

/// serde_path_to_error writes `?` for a position it could not name (inside a
/// truncated object); drop those so the path names the deepest known field.
fn clean_path(path: &str) -> String {
    let mut p = path;
    while let Some(rest) = p.strip_suffix(".?") {
        p = rest;
    }
    if p.is_empty() || p == "?" {
        ".".to_owned()
    } else {
        p.to_owned()
    }
}

fn strip_position(e: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; keep it for syntax errors
    // (it says where the body breaks) but not for data errors, whose path
    // already says where.
    let text = e.to_string();
    if e.is_data() {
        match text.rfind(" at line ") {
            Some(i) => text[..i].to_owned(),
            None => text,
        }
    } else {
        text
    }
}

/// `Some` only when the text is present and not blank.
pub fn non_blank(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// [`non_blank`] for borrowed text.
pub fn non_blank_str(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.trim().is_empty())
}

/// A finite number as a JSON number, whole values written as integers
/// (`81`, not `81.0`), which is how providers' own examples write scores.
/// Only whole values below 9e15 in magnitude are written so (an `f64`
/// holds every integer exactly up to 2^53, about 9.007e15); larger ones
/// keep their float form (`9000000000000000.0`). `None` for NaN and
/// infinities, which JSON cannot carry.
pub fn json_number(n: f64) -> Option<serde_json::Number> {
    if !n.is_finite() {
        return None;
    }
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Some(serde_json::Number::from(n as i64))
    } else {
        serde_json::Number::from_f64(n)
    }
}

/// For `#[serde(deserialize_with = ...)]`: an id the provider sends as a
/// string or as a JSON number, kept as text (`12345` → `"12345"`).
pub fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::Deserialize;
    StringOrNumber::deserialize(d)
        .map(String::from)
        .map_err(|_| serde::de::Error::custom("expected a string or a number"))
}

/// [`string_or_number`] for optional, nullable ids.
pub fn opt_string_or_number<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    use serde::Deserialize;
    Option::<StringOrNumber>::deserialize(d)
        .map(|o| o.map(String::from))
        .map_err(|_| serde::de::Error::custom("expected a string, a number or null"))
}

/// [`opt_string_or_number`] keeping the JSON type the provider used: a
/// string or a number [`serde_json::Value`], for an id the provider wants
/// back exactly as it sent it.
pub fn opt_string_or_number_value<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<serde_json::Value>, D::Error> {
    use serde::Deserialize;
    Option::<StringOrNumber>::deserialize(d)
        .map(|o| {
            o.map(|v| match v {
                StringOrNumber::String(s) => serde_json::Value::String(s),
                StringOrNumber::Number(n) => serde_json::Value::Number(n),
            })
        })
        .map_err(|_| serde::de::Error::custom("expected a string, a number or null"))
}

/// A JSON string or number, read straight from the parser (an untagged
/// enum would buffer the value first).
enum StringOrNumber {
    String(String),
    Number(serde_json::Number),
}

impl<'de> serde::Deserialize<'de> for StringOrNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = StringOrNumber;
            // equivalent mutant: what this writes never reaches a caller,
            // the functions above replace the error with their own message
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(StringOrNumber::String(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(StringOrNumber::String(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(StringOrNumber::Number(v.into()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(StringOrNumber::Number(v.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
                serde_json::Number::from_f64(v)
                    .map(StringOrNumber::Number)
                    .ok_or_else(|| E::custom("not a finite number"))
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl From<StringOrNumber> for String {
    fn from(v: StringOrNumber) -> Self {
        match v {
            StringOrNumber::String(s) => s,
            StringOrNumber::Number(n) => n.to_string(),
        }
    }
}

/// Requires an optional string to be present and non-blank.
pub fn required<'a>(value: Option<&'a str>, path: &str) -> Result<&'a str, Error> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(Error::missing(path)),
    }
}

/// `text` without leading and trailing white space: the same string when it
/// has none, a trimmed copy when it has some.
pub fn trimmed(text: String) -> String {
    if text.trim().len() == text.len() {
        text
    } else {
        text.trim().to_owned()
    }
}

/// [`required`] for an owned string: the value itself, moved, not copied.
pub fn required_string(value: Option<String>, path: &str) -> Result<String, Error> {
    required_string_at(value, || path.to_owned())
}

/// [`required_string`] with the path written only for a refusal: for a
/// path built with `format!`, which would cost an allocation on every
/// order otherwise.
pub fn required_string_at(
    value: Option<String>,
    path: impl FnOnce() -> String,
) -> Result<String, Error> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(Error::missing(path())),
    }
}

/// The one rule for control characters in core values: identifiers,
/// e-mail addresses, names and URLs hold none (a JSON escape such as
/// `\u0000` or `\t` decodes into one). A value that does is refused as
/// [`Error::Malformed`] at `path`, never cleaned up silently: a changed
/// id would name another record. Free text (descriptions, summaries) may
/// hold line breaks and is not checked.
pub fn no_control_chars(value: &str, path: &str) -> Result<(), Error> {
    checked(value, || path.to_owned())
}

/// [`no_control_chars`] with the path written only for a refusal.
fn checked(value: &str, path: impl FnOnce() -> String) -> Result<(), Error> {
    // every control character (U+0000–U+001F, U+007F–U+009F) is a byte
    // below 0x20, 0x7F, or 0xC2 followed by 0x80–0x9F: clean text is
    // known without decoding a character. (Equivalent mutants: a changed
    // comparison here only sends more text to the exact check below.)
    if !value.bytes().any(|b| b < 0x20 || b == 0x7f || b == 0xc2) {
        return Ok(());
    }
    match value.chars().find(|c| c.is_control()) {
        Some(c) => Err(Error::malformed(
            path(),
            format!("holds the control character U+{:04X}", u32::from(c)),
        )),
        None => Ok(()),
    }
}

/// The one rule for links a vendor gives a provider to show (the report,
/// the candidate's link and page, an attachment): an `http` or `https` URL.
/// Recruiters and candidates open them from the ATS, where a `javascript:`
/// or `data:` link would run or show whatever it holds. The refusal
/// ([`Error::Malformed`] at `path`) names the scheme only: the rest of a
/// link can hold a token.
pub fn check_link(url: &url::Url, path: &str) -> Result<(), Error> {
    if matches!(url.scheme(), "http" | "https") {
        Ok(())
    } else {
        Err(Error::malformed(
            path,
            format!(
                "a link must be an http or https URL, not `{}:`",
                url.scheme()
            ),
        ))
    }
}

/// [`check_link`] for every link of a result: `report_url`,
/// `candidate_url`, `candidate_profile_url` and attachments given by URL
/// (`attachments[i].url`).
pub fn check_result_links(result: &crate::model::AssessmentResult) -> Result<(), Error> {
    for (url, path) in [
        (&result.report_url, "report_url"),
        (&result.candidate_url, "candidate_url"),
        (&result.candidate_profile_url, "candidate_profile_url"),
    ] {
        if let Some(url) = url {
            check_link(url, path)?;
        }
    }
    for (i, attachment) in result.attachments.iter().enumerate() {
        if let crate::model::AttachmentSource::Url { url, .. } = &attachment.source {
            check_link(url, &format!("attachments[{i}].url"))?;
        }
    }
    Ok(())
}

/// The one rule for a vendor's package list, served or published: every
/// package has an id that is not blank, is unique in the list and holds no
/// control character, and a name that is not blank. A package the provider
/// lists but could never order (a blank id), or two it cannot tell apart,
/// is refused as [`Error::Malformed`] at `packages[i].id` or
/// `packages[i].name`.
pub fn check_packages(packages: &[crate::model::Package]) -> Result<(), Error> {
    let mut seen = std::collections::HashSet::with_capacity(packages.len());
    for (i, p) in packages.iter().enumerate() {
        let at = |field: &str| format!("packages[{i}].{field}");
        if p.id.trim().is_empty() {
            return Err(Error::malformed(at("id"), "is blank"));
        }
        checked(&p.id, || at("id"))?;
        if !seen.insert(p.id.as_str()) {
            return Err(Error::malformed(
                at("id"),
                format!("`{}` is the id of an earlier package too", p.id),
            ));
        }
        if p.name.trim().is_empty() {
            return Err(Error::malformed(at("name"), "is blank"));
        }
        checked(&p.name, || at("name"))?;
    }
    Ok(())
}

/// The most items one repeated field may hold: a candidate's e-mail
/// addresses and phone numbers, a job's hiring team, a result's sections,
/// attachments and attributes. Providers' real payloads hold a handful;
/// the limit keeps a payload that repeats an item many thousand times
/// (well within the body limit) from multiplying the work and the size
/// of everything built from it.
pub const MAX_ITEMS: usize = 100;

/// The one rule for repeated items: a list holds at most [`MAX_ITEMS`]. A
/// longer one is refused as [`Error::Malformed`] at `path` (the field as
/// the payload or the core model names it, e.g. `job.hiringTeam` or
/// `sections`), never cut short silently: the items dropped could be the
/// ones that matter.
pub fn at_most<T>(items: &[T], path: &str) -> Result<(), Error> {
    at_most_at(items, || path.to_owned())
}

/// [`at_most`] with the path written only for a refusal (see
/// [`required_string_at`]).
pub fn at_most_at<T>(items: &[T], path: impl FnOnce() -> String) -> Result<(), Error> {
    if items.len() > MAX_ITEMS {
        return Err(Error::malformed(
            path(),
            format!(
                "holds {} items, more than the {MAX_ITEMS} accepted",
                items.len()
            ),
        ));
    }
    Ok(())
}

/// [`at_most`] for a list the payload may omit.
pub fn at_most_opt<T>(items: Option<&Vec<T>>, path: &str) -> Result<(), Error> {
    items.map_or(Ok(()), |v| at_most(v, path))
}

/// Applies [`at_most`] to every repeated field of an inbound event, by
/// its core path (`candidate.emails`, `candidate.phones`,
/// `job.hiring_team`). Adapters apply the rule as they read the payload;
/// this is the same rule where an event is admitted
/// ([`crate::serve::admit`]).
pub fn check_event_items(event: &crate::event::InboundEvent) -> Result<(), Error> {
    let crate::event::InboundEvent::OrderReceived(o) = event else {
        return Ok(());
    };
    at_most(&o.candidate.emails, "candidate.emails")?;
    at_most(&o.candidate.phones, "candidate.phones")?;
    if let Some(j) = &o.job {
        at_most(&j.hiring_team, "job.hiring_team")?;
    }
    Ok(())
}

/// Applies [`at_most`] to a result's repeated fields (`sections`,
/// `attachments`, `attributes`), before it is written to a provider.
pub fn check_result_items(result: &crate::model::AssessmentResult) -> Result<(), Error> {
    at_most(&result.sections, "sections")?;
    at_most(&result.attachments, "attachments")?;
    at_most(&result.attributes, "attributes")
}

fn opt(value: Option<&str>, path: &str) -> Result<(), Error> {
    value.map_or(Ok(()), |v| checked(v, || path.to_owned()))
}

fn person(p: &crate::model::Person, path: impl Fn() -> String) -> Result<(), Error> {
    for (value, field) in [
        (&p.id, "id"),
        (&p.first_name, "first_name"),
        (&p.last_name, "last_name"),
        (&p.email, "email"),
    ] {
        if let Some(v) = value {
            checked(v, || format!("{}.{field}", path()))?;
        }
    }
    Ok(())
}

fn order_ref(r: &crate::event::OrderRef) -> Result<(), Error> {
    opt(r.provider_order_id.as_deref(), "order.provider_order_id")?;
    opt(
        r.vendor_assessment_id.as_deref(),
        "order.vendor_assessment_id",
    )
}

/// Applies [`no_control_chars`] to every identifier, e-mail address, name
/// and URL of an inbound event (paths name the core field, e.g.
/// `candidate.emails[0].address`).
pub fn check_event_text(event: &crate::event::InboundEvent) -> Result<(), Error> {
    use crate::event::InboundEvent;
    if let Some(t) = event.tenant() {
        no_control_chars(t.as_str(), "tenant")?;
    }
    match event {
        InboundEvent::OrderReceived(o) => {
            opt(o.provider_order_id.as_deref(), "provider_order_id")?;
            no_control_chars(&o.package_id, "package_id")?;
            let c = &o.candidate;
            opt(c.id.as_deref(), "candidate.id")?;
            opt(c.first_name.as_deref(), "candidate.first_name")?;
            opt(c.last_name.as_deref(), "candidate.last_name")?;
            opt(c.preferred_name.as_deref(), "candidate.preferred_name")?;
            for (i, e) in c.emails.iter().enumerate() {
                checked(&e.address, || format!("candidate.emails[{i}].address"))?;
            }
            for (i, p) in c.phones.iter().enumerate() {
                checked(&p.number, || format!("candidate.phones[{i}].number"))?;
            }
            opt(c.profile_url.as_deref(), "candidate.profile_url")?;
            opt(c.resume_url.as_deref(), "candidate.resume_url")?;
            if let Some(a) = &o.application {
                opt(a.id.as_deref(), "application.id")?;
                opt(a.url.as_deref(), "application.url")?;
            }
            if let Some(j) = &o.job {
                opt(j.id.as_deref(), "job.id")?;
                opt(j.name.as_deref(), "job.name")?;
                opt(j.requisition_id.as_deref(), "job.requisition_id")?;
                opt(j.url.as_deref(), "job.url")?;
                for (i, p) in j.hiring_team.iter().enumerate() {
                    person(p, || format!("job.hiring_team[{i}]"))?;
                }
            }
            if let Some(p) = &o.requested_by {
                person(p, || "requested_by".to_owned())?;
            }
            Ok(())
        }
        InboundEvent::OrderCancelled(c) => order_ref(&c.order),
        InboundEvent::StatusRequested(q) => order_ref(&q.order),
        InboundEvent::ErrorReported(r) => r.order.as_ref().map_or(Ok(()), order_ref),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lazy_paths_are_written_only_for_a_refusal() {
        let never = || -> String { panic!("a path written for a value that passes") };
        assert_eq!(required_string_at(Some("a".into()), never).unwrap(), "a");
        assert!(at_most_at(&[0u8; MAX_ITEMS], never).is_ok());
        let e = required_string_at(Some(" ".into()), || "data.id".to_owned()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed payload at `data.id`: required field is missing or empty"
        );
        let e = required_string_at(None, || "data.id".to_owned()).unwrap_err();
        assert!(e.is_missing_field());
        let e = at_most_at(&[0u8; MAX_ITEMS + 1], || "job.hiring_team".to_owned()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "malformed payload at `job.hiring_team`: holds {} items, more than the {MAX_ITEMS} accepted",
                MAX_ITEMS + 1
            )
        );
    }
    use serde::Deserialize;

    #[test]
    fn repeated_items_are_capped_with_their_path() {
        let ok = vec![0u8; MAX_ITEMS];
        assert!(at_most(&ok, "sections").is_ok());
        let too_many = vec![0u8; MAX_ITEMS + 1];
        let e = at_most(&too_many, "job.hiringTeam").unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed payload at `job.hiringTeam`: holds 101 items, more than the 100 accepted"
        );
        assert!(at_most_opt::<u8>(None, "x").is_ok());
        assert!(at_most_opt(Some(&too_many), "x").is_err());
    }

    #[test]
    fn events_and_results_are_capped_by_core_path() {
        use crate::model::{
            AssessmentResult, AssessmentStatus, Attribute, AttributeValue, Email, Job, Person,
        };
        let mut order: crate::model::AssessmentOrder = serde_json::from_value(serde_json::json!({
            "provider": "p", "package_id": "pk", "candidate": {},
            "received_at": "2026-01-01T00:00:00Z", "raw": null
        }))
        .unwrap();
        let email = Email {
            address: "a@example.com".into(),
            kind: None,
        };
        order.candidate.emails = vec![email; MAX_ITEMS];
        let event = crate::event::InboundEvent::OrderReceived(Box::new(order.clone()));
        assert!(check_event_items(&event).is_ok());
        order.job = Some(Job {
            hiring_team: vec![Person::default(); MAX_ITEMS + 1],
            ..Job::default()
        });
        let event = crate::event::InboundEvent::OrderReceived(Box::new(order));
        let e = check_event_items(&event).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "job.hiring_team"),
            "{e}"
        );
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        let attribute = Attribute {
            id: "a".into(),
            label: "A".into(),
            value: AttributeValue::Bool(true),
        };
        r.attributes = vec![attribute; MAX_ITEMS + 1];
        let e = check_result_items(&r).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "attributes"),
            "{e}"
        );
        r.attributes.truncate(MAX_ITEMS);
        assert!(check_result_items(&r).is_ok());
    }

    #[test]
    fn control_characters_are_refused_with_their_path() {
        assert!(no_control_chars("maya@example.com", "x").is_ok());
        let e = no_control_chars("a\u{0}@example.com", "candidate.emails[0].address").unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed payload at `candidate.emails[0].address`: holds the control character U+0000"
        );
        for bad in [
            "a\tb", "a\nb", "\u{7f}", "\u{9b}", "\u{80}x", "x\u{9f}", "\u{1f}",
        ] {
            assert!(no_control_chars(bad, "p").is_err(), "{bad:?}");
        }
        // the neighbours of the control ranges are text (U+00A0 and U+00C2
        // start with the byte 0xC2 too)
        for good in [" ", "~", "\u{a0}", "\u{c2}", "Ä ö ß", "\u{ff}", "日本"] {
            assert!(no_control_chars(good, "p").is_ok(), "{good:?}");
        }
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        candidate: Inner,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        email: String,
    }

    fn err(body: &str) -> (String, String) {
        match decode_json::<Outer>(body.as_bytes()).unwrap_err() {
            Error::Malformed { path, message } => (path, message),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn reports_field_paths() {
        assert_eq!(err(r#"{"candidate":{"email":3}}"#).0, "candidate.email");
        let (path, msg) = err(r#"{"candidate":{}}"#);
        assert_eq!(path, "candidate");
        assert_eq!(msg, "missing field `email`");
        assert_eq!(err(r#"[]"#).0, ".");
    }

    #[test]
    fn whole_body_problems() {
        assert_eq!(err(""), (".".into(), "empty body".into()));
        assert_eq!(err("  \n").1, "empty body");
        assert_eq!(err(r#"{"candidate":{"ema"#).0, "candidate");
        // truncated before any field is named: the path is `?`, reported as `.`
        assert_eq!(
            err(r#"{"cand"#),
            (
                ".".into(),
                "EOF while parsing a string at line 1 column 6".into()
            )
        );
        assert_eq!(err("not json").0, ".");
        let (path, msg) = err(r#"{"candidate":{"email":"a"}} x"#);
        assert_eq!(path, ".");
        assert!(msg.contains("trailing"), "{msg}");
    }

    #[test]
    fn objects_only_where_asked() {
        let e = decode_json_object::<Outer>(b"[{\"email\":\"a\"}]").unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed payload at `.`: expected a JSON object, found an array"
        );
        let e = decode_json_object::<Outer>(b" null").unwrap_err();
        assert!(e.to_string().ends_with("found null"), "{e}");
        let e = decode_json_object::<Outer>(b"nope").unwrap_err();
        assert!(matches!(e, Error::Malformed { ref path, .. } if path == "."));
        assert!(decode_json_object::<Outer>(b" {\"candidate\":{\"email\":\"a\"}}").is_ok());
    }

    #[test]
    fn trimmed_keeps_a_string_without_spaces_and_trims_one_with() {
        let text = String::from("a@example.com");
        let at = text.as_ptr();
        let same = trimmed(text);
        assert_eq!((same.as_str(), same.as_ptr()), ("a@example.com", at));
        assert_eq!(trimmed(" a@example.com\n".into()), "a@example.com");
        assert_eq!(trimmed(" \t".into()), "");
        assert_eq!(required_string(Some("id".into()), "x").unwrap(), "id");
        for blank in [None, Some(String::new()), Some(" ".into())] {
            assert_eq!(
                required_string(blank, "x").unwrap_err().to_string(),
                required(None, "x").unwrap_err().to_string()
            );
        }
    }

    #[test]
    fn result_links_are_http_or_https_each_named_by_its_path() {
        use crate::model::{AssessmentResult, AssessmentStatus, Attachment, AttachmentSource};
        let link = |s: &str| url::Url::parse(s).unwrap();
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.report_url = Some(link("https://vendor.example/r/1"));
        r.candidate_url = Some(link("http://vendor.example/take/1"));
        r.candidate_profile_url = Some(link("https://vendor.example/c/1"));
        let file = |url: &str| Attachment {
            name: "report.pdf".into(),
            content_type: None,
            source: AttachmentSource::Url { url: link(url) },
        };
        r.attachments = vec![
            file("https://vendor.example/a/1"),
            file("https://vendor.example/a/2"),
        ];
        assert!(check_result_links(&r).is_ok());
        let refused = |r: &AssessmentResult| check_result_links(r).unwrap_err().to_string();
        let mut bad = r.clone();
        bad.attachments[1] = file("ftp://vendor.example/a/2");
        assert_eq!(
            refused(&bad),
            "malformed payload at `attachments[1].url`: a link must be an http or https URL, not `ftp:`"
        );
        for field in ["report_url", "candidate_url", "candidate_profile_url"] {
            let mut bad = r.clone();
            let js = Some(link("javascript:alert(1)"));
            match field {
                "report_url" => bad.report_url = js,
                "candidate_url" => bad.candidate_url = js,
                _ => bad.candidate_profile_url = js,
            }
            assert_eq!(
                refused(&bad),
                format!(
                    "malformed payload at `{field}`: a link must be an http or https URL, not `javascript:`"
                )
            );
        }
    }

    #[test]
    fn a_package_list_has_ids_to_order_by_and_names_to_show() {
        use crate::model::Package;
        let list = |items: &[(&str, &str)]| -> Vec<Package> {
            items
                .iter()
                .map(|(id, name)| Package::new(*id, *name))
                .collect()
        };
        assert!(check_packages(&[]).is_ok());
        assert!(check_packages(&list(&[("rust", "Rust"), ("go", "Go")])).is_ok());
        for (items, said) in [
            (
                vec![("rust", "Rust"), (" ", "Go")],
                "`packages[1].id`: is blank",
            ),
            (
                vec![("ru\u{0}st", "Rust")],
                "`packages[0].id`: holds the control character U+0000",
            ),
            (
                vec![("rust", "Rust"), ("go", "Go"), ("rust", "Rust 2")],
                "`packages[2].id`: `rust` is the id of an earlier package too",
            ),
            (vec![("rust", "")], "`packages[0].name`: is blank"),
            (
                vec![("rust", "Ru\nst")],
                "`packages[0].name`: holds the control character U+000A",
            ),
        ] {
            assert_eq!(
                check_packages(&list(&items)).unwrap_err().to_string(),
                format!("malformed payload at {said}")
            );
        }
    }

    #[test]
    fn required_rejects_blank() {
        assert_eq!(required(Some("a"), "x").unwrap(), "a");
        assert!(required(Some("  "), "x").is_err());
        assert!(required(None, "x").is_err());
    }

    #[test]
    fn blank_text_is_absent() {
        assert_eq!(non_blank(Some(" x ".into())).as_deref(), Some(" x "));
        assert_eq!(non_blank(Some(" \t".into())), None);
        assert_eq!(non_blank_str(Some("")), None);
        assert_eq!(non_blank_str(Some(" \t")), None);
        assert_eq!(non_blank_str(Some(" x ")), Some(" x "));
        assert_eq!(non_blank_str(None), None);
    }

    #[test]
    fn numbers_are_written_like_providers_write_them() {
        let text = |n: f64| json_number(n).map(|n| n.to_string());
        assert_eq!(text(81.0).as_deref(), Some("81"));
        assert_eq!(text(-3.0).as_deref(), Some("-3"));
        assert_eq!(text(7.5).as_deref(), Some("7.5"));
        // whole values are written as integers below 9e15, short of 2^53
        // where f64 stops holding every integer; from there on as floats
        assert_eq!(
            text(8_999_999_999_999_998.0).as_deref(),
            Some("8999999999999998")
        );
        assert_eq!(text(9.0e15).as_deref(), Some("9000000000000000.0"));
        assert_eq!(text(-9.0e15).as_deref(), Some("-9000000000000000.0"));
        assert_eq!(text(f64::NAN), None);
        assert_eq!(text(f64::INFINITY), None);
    }

    #[test]
    fn ids_as_strings_or_numbers() {
        #[derive(Debug, Deserialize)]
        struct Ids {
            #[serde(deserialize_with = "string_or_number")]
            a: String,
            #[serde(default, deserialize_with = "opt_string_or_number")]
            b: Option<String>,
        }
        let ids: Ids = serde_json::from_str(r#"{"a": 12345, "b": "x"}"#).unwrap();
        assert_eq!((ids.a.as_str(), ids.b.as_deref()), ("12345", Some("x")));
        let ids: Ids = serde_json::from_str(r#"{"a": "7", "b": null}"#).unwrap();
        assert_eq!((ids.a.as_str(), ids.b), ("7", None));
        let ids: Ids = serde_json::from_str(r#"{"a": "7"}"#).unwrap();
        assert_eq!(ids.b, None);
        let e = decode_json::<Ids>(br#"{"a": true}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed payload at `a`: expected a string or a number"
        );
        let e = decode_json::<Ids>(br#"{"a": "1", "b": []}"#).unwrap_err();
        assert!(e.to_string().contains("at `b`"), "{e}");
    }

    /// An order holding every field [`check_event_text`] reads, all clean.
    fn full_order() -> serde_json::Value {
        serde_json::json!({
            "type": "order_received",
            "provider": "p", "tenant": "t1", "provider_order_id": "o-1",
            "package_id": "pk",
            "candidate": {
                "id": "c-1", "first_name": "Maya", "last_name": "Lind",
                "preferred_name": "May",
                "emails": [{"address": "maya@example.com"}, {"address": "m@example.com"}],
                "phones": [{"number": "+1 555"}, {"number": "+1 556"}],
                "profile_url": "https://ats.example/c/1",
                "resume_url": "https://ats.example/c/1/cv"
            },
            "application": {"id": "a-1", "url": "https://ats.example/a/1"},
            "job": {
                "id": "j-1", "name": "Welder", "requisition_id": "r-1",
                "url": "https://ats.example/j/1",
                "hiring_team": [
                    {"id": "h-0"},
                    {"id": "h-1", "first_name": "Ann", "last_name": "Berg", "email": "ann@example.com"}
                ]
            },
            "requested_by": {"id": "u-1", "first_name": "Bo", "last_name": "Ek", "email": "bo@example.com"},
            "received_at": "2026-01-01T00:00:00Z", "raw": null
        })
    }

    /// `event` with the text at `pointer` replaced by one holding U+0001.
    fn tainted(mut event: serde_json::Value, pointer: &str) -> crate::event::InboundEvent {
        *event.pointer_mut(pointer).unwrap() = serde_json::json!("x\u{1}y");
        serde_json::from_value(event).unwrap()
    }

    fn text_error_path(event: &crate::event::InboundEvent) -> String {
        match check_event_text(event).unwrap_err() {
            Error::Malformed { path, message } => {
                assert_eq!(message, "holds the control character U+0001");
                path
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn every_checked_order_field_is_refused_at_its_path() {
        let clean: crate::event::InboundEvent = serde_json::from_value(full_order()).unwrap();
        assert!(check_event_text(&clean).is_ok());
        for (pointer, path) in [
            ("/tenant", "tenant"),
            ("/provider_order_id", "provider_order_id"),
            ("/package_id", "package_id"),
            ("/candidate/id", "candidate.id"),
            ("/candidate/first_name", "candidate.first_name"),
            ("/candidate/last_name", "candidate.last_name"),
            ("/candidate/preferred_name", "candidate.preferred_name"),
            ("/candidate/emails/1/address", "candidate.emails[1].address"),
            ("/candidate/phones/1/number", "candidate.phones[1].number"),
            ("/candidate/profile_url", "candidate.profile_url"),
            ("/candidate/resume_url", "candidate.resume_url"),
            ("/application/id", "application.id"),
            ("/application/url", "application.url"),
            ("/job/id", "job.id"),
            ("/job/name", "job.name"),
            ("/job/requisition_id", "job.requisition_id"),
            ("/job/url", "job.url"),
            ("/job/hiring_team/1/id", "job.hiring_team[1].id"),
            (
                "/job/hiring_team/1/first_name",
                "job.hiring_team[1].first_name",
            ),
            (
                "/job/hiring_team/1/last_name",
                "job.hiring_team[1].last_name",
            ),
            ("/job/hiring_team/1/email", "job.hiring_team[1].email"),
            ("/requested_by/id", "requested_by.id"),
            ("/requested_by/first_name", "requested_by.first_name"),
            ("/requested_by/last_name", "requested_by.last_name"),
            ("/requested_by/email", "requested_by.email"),
        ] {
            assert_eq!(text_error_path(&tainted(full_order(), pointer)), path);
        }
        // free text is not checked
        let mut description = full_order();
        description["job"]["description"] = serde_json::json!("line one\nline two");
        let event: crate::event::InboundEvent = serde_json::from_value(description).unwrap();
        assert!(check_event_text(&event).is_ok());
    }

    #[test]
    fn order_references_are_refused_at_their_path() {
        let reference = serde_json::json!({
            "provider_order_id": "o-1", "vendor_assessment_id": "v-1"
        });
        let cancelled = serde_json::json!({
            "type": "order_cancelled", "provider": "p", "tenant": "t1",
            "order": reference, "received_at": "2026-01-01T00:00:00Z", "raw": null
        });
        let status = serde_json::json!({
            "type": "status_requested", "provider": "p", "order": reference
        });
        let reported = serde_json::json!({
            "type": "error_reported", "provider": "p", "operation": "x",
            "errors": ["bad\u{1}text is free"], "order": reference, "raw": null
        });
        for event in [&cancelled, &status, &reported] {
            let clean: crate::event::InboundEvent = serde_json::from_value(event.clone()).unwrap();
            assert!(check_event_text(&clean).is_ok(), "{event}");
            for (pointer, path) in [
                ("/order/provider_order_id", "order.provider_order_id"),
                ("/order/vendor_assessment_id", "order.vendor_assessment_id"),
            ] {
                assert_eq!(
                    text_error_path(&tainted(event.clone(), pointer)),
                    path,
                    "{event}"
                );
            }
        }
        let mut no_order = reported;
        no_order.as_object_mut().unwrap().remove("order");
        let event: crate::event::InboundEvent = serde_json::from_value(no_order).unwrap();
        assert!(check_event_text(&event).is_ok());
        // the tenant is checked on every event, even one with nothing else
        let ignored = serde_json::json!({
            "type": "ignored", "provider": "p", "tenant": "t1",
            "event_type": "ping", "reason": "r"
        });
        assert!(check_event_text(&serde_json::from_value(ignored.clone()).unwrap()).is_ok());
        assert_eq!(text_error_path(&tainted(ignored, "/tenant")), "tenant");
        assert_eq!(text_error_path(&tainted(cancelled, "/tenant")), "tenant");
    }

    #[test]
    fn ids_keep_the_type_they_were_sent_in() {
        #[derive(Debug, Deserialize)]
        struct Job {
            #[serde(default, deserialize_with = "opt_string_or_number_value")]
            id: Option<serde_json::Value>,
        }
        let id = |body: &str| decode_json::<Job>(body.as_bytes()).map(|j| j.id);
        assert_eq!(
            id(r#"{"id": 12345}"#).unwrap(),
            Some(serde_json::json!(12345))
        );
        assert_eq!(
            id(r#"{"id": "J-1"}"#).unwrap(),
            Some(serde_json::json!("J-1"))
        );
        assert_eq!(
            id(r#"{"id": -2.5}"#).unwrap(),
            Some(serde_json::json!(-2.5))
        );
        assert_eq!(id(r#"{"id": null}"#).unwrap(), None);
        assert_eq!(id("{}").unwrap(), None);
        let e = id(r#"{"id": true}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed payload at `id`: expected a string, a number or null"
        );
    }

    #[test]
    fn broken_json_is_placed_at_its_deepest_field() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Envelope {
            event: String,
            data: Box<serde_json::value::RawValue>,
        }
        let path = |e: Error| match e {
            Error::Malformed { path, .. } => path,
            other => panic!("{other:?}"),
        };
        // inside a part kept as text
        let e = decode_json::<Envelope>(br#"{"event":"x","data":{"toStageId":"ab"#).unwrap_err();
        assert_eq!(path(e), "data.toStageId");
        // inside a field the struct skips
        let e = decode_json::<Outer>(br#"{"candidate":{"email":"a"},"extra":{"deep":[1,tru"#)
            .unwrap_err();
        assert_eq!(path(e), "extra.deep[1]");
        // a wrong type is still named by the typed struct
        let e = decode_json::<Envelope>(br#"{"event":1,"data":{}}"#).unwrap_err();
        assert_eq!(path(e), "event");
    }

    #[test]
    fn keeps_raw_value() {
        let (o, raw): (Outer, _) =
            decode_json_with_raw(br#"{"candidate":{"email":"a"},"extra":1}"#).unwrap();
        assert_eq!(o.candidate.email, "a");
        assert_eq!(raw.get(), r#"{"candidate":{"email":"a"},"extra":1}"#);
        assert_eq!(raw.to_value().unwrap()["extra"], 1);
        // white space around the object is dropped, as serde_json's raw
        // reader drops it, and the text is written out as the JSON it is
        let body = b" \r\n\t{\"candidate\": {\"email\": \"a\"}, \"x\": [1, \"\\ud800\"]}\n ";
        let (_, raw): (Outer, _) = decode_json_with_raw(body).unwrap();
        let checked = RawJson::from_slice(body).unwrap();
        assert_eq!(raw.get(), checked.get());
        assert_eq!(
            raw.get(),
            r#"{"candidate": {"email": "a"}, "x": [1, "\ud800"]}"#
        );
        #[derive(serde::Serialize)]
        struct Stored {
            raw: RawJson,
        }
        assert_eq!(
            serde_json::to_string(&Stored { raw }).unwrap(),
            r#"{"raw":{"candidate": {"email": "a"}, "x": [1, "\ud800"]}}"#
        );
    }

    #[test]
    fn raw_text_is_refused_with_invalid_utf8_in_a_skipped_part() {
        // the typed parse skips "x" without reading its bytes as text
        let body = b"{\"candidate\":{\"email\":\"a\"},\"x\":\"\xff\"}";
        assert!(decode_json::<Outer>(body).is_ok());
        let e = decode_json_with_raw::<Outer>(body).unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed payload at `.`: invalid UTF-8 at byte 32 of the body"
        );
        assert!(RawJson::from_slice(body).is_err());
    }

    /// JSON text with odd spacing, escapes, lone surrogates, deep nesting,
    /// and now and then one byte changed: the bodies a typed parse accepts
    /// or refuses at its edges.
    fn json_text() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let space = prop::sample::select(vec!["", " ", "\n", "\t ", "\r\n"]);
        let leaf = prop::sample::select(vec![
            "1",
            "-0.5e3",
            "1e400",
            "01",
            "true",
            "null",
            "nul",
            "\"a\"",
            "\"\\ud800\"",
            "\"\\u00e9\\n\"",
            "\"\\x\"",
            "\"\u{e9}\u{1F600}\"",
            "\"\u{1}\"",
            "[]",
            "{}",
        ])
        .prop_map(str::to_owned);
        let value = leaf.prop_recursive(6, 40, 4, move |inner| {
            let space = space.clone();
            prop_oneof![
                (prop::collection::vec(inner.clone(), 0..4), space.clone())
                    .prop_map(|(items, s)| format!("[{s}{}{s}]", items.join(&format!("{s},")))),
                (prop::collection::vec(("[a-c]{1,2}", inner), 0..4), space).prop_map(
                    |(fields, s)| {
                        let fields: Vec<String> = fields
                            .into_iter()
                            .map(|(k, v)| format!("\"{k}\"{s}:{s}{v}"))
                            .collect();
                        format!("{{{s}{}{s}}}", fields.join(","))
                    }
                ),
            ]
        });
        (
            value,
            any::<Option<(prop::sample::Index, u8)>>(),
            "[ \n]{0,2}",
        )
            .prop_map(|(v, change, pad)| {
                let mut body = format!("{pad}{{\"candidate\":{{\"email\":\"a\"}},\"x\":{v}}}{pad}")
                    .into_bytes();
                if let Some((at, byte)) = change {
                    let i = at.index(body.len());
                    body[i] = byte;
                }
                body
            })
    }

    proptest::proptest! {
        /// Keeping the text without a second pass holds only if whatever
        /// the typed parse accepts, serde_json's raw reader accepts too,
        /// with the same text.
        #[test]
        fn raw_text_kept_without_a_second_pass_is_json(body in json_text()) {
            if let Ok((_, raw)) = decode_json_with_raw::<Outer>(&body) {
                let checked = RawJson::from_slice(&body);
                proptest::prop_assert!(checked.is_ok(), "{}", String::from_utf8_lossy(&body));
                let checked = checked.unwrap();
                proptest::prop_assert_eq!(raw.get(), checked.get());
                proptest::prop_assert_eq!(serde_json::to_string(&raw).unwrap(), checked.get());
            }
        }
    }
}
