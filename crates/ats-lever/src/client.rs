//! Outbound calls to Lever's API: building them (pure) and sending them
//! with the tenant's OAuth access token.
//!
//! | operation | request | retried after 5xx / timeout |
//! |---|---|---|
//! | `getOpportunity` | `GET /opportunities/:id?expand=applications&expand=stage` (receiving); `GET /opportunities/:id` (its tags, before a graded result's old grade tags are removed) | yes |
//! | `getPosting` | `GET /postings/:id` | yes |
//! | `listStages` | `GET /stages?limit=100[&offset=…]` | yes |
//! | `addTags` | `POST /opportunities/:id/addTags[?perform_as=…]` `{"tags": [...]}` | yes: adding a tag twice leaves one tag |
//! | `removeTags` | `POST /opportunities/:id/removeTags[?perform_as=…]` `{"tags": [...]}`: the other status tags; for a graded result, a second call with the opportunity's other grade tags of the prefix, when it has any | yes: removing twice removes once |
//! | `listNotes` | `GET /opportunities/:id/notes?limit=100[&offset=…]` | yes |
//! | `createNote` | `POST /opportunities/:id/notes[?perform_as=…]` `{"value": …}` | **no**: Lever has no idempotency key. A result is delivered at least once, so before posting, the adapter reads the opportunity's notes (`listNotes`) and posts only when no note holds the same text |
//!
//! Every call carries `Authorization: Bearer <access token>`. An access
//! token that expires within the refresh margin is refreshed first; a `401`
//! answer refreshes it once and repeats the call once. `429` is retried
//! after `Retry-After` (or a backoff) by [`HttpClient`], for every call:
//! Lever has not processed a request it refused for rate.
//!
//! **Regions.** Lever answers calls for an account hosted in another region
//! (the EU) with a redirect to that region's API host. A `301`, `307` or
//! `308` whose `Location` is [`trusted_redirect`] (an `https` URL on a host
//! ending in `.lever.co`, or the same origin) is followed with the same
//! method, body and bearer token; any other redirect is refused
//! ([`Error::UntrustedUrl`]) and nothing is sent there. The adapter then
//! sends the tenant's later calls to that region's base ([`rebase`],
//! [`learned_base`]).

use std::sync::Arc;

use ats_core::client::{Auth, HttpClient, ProviderMessage, ProviderReply, RedirectTrust};
use ats_core::http::url_with_segments;
use ats_core::{Error, PreparedRequest, TenantId};
use http::{Method, StatusCode};
use url::Url;

use crate::oauth::TokenManager;
use crate::wire::{ApiError, CreateNote, Tags};

/// `GET /opportunities/:opportunity`.
pub const GET_OPPORTUNITY: &str = "getOpportunity";
/// `GET /postings/:posting`.
pub const GET_POSTING: &str = "getPosting";
/// `GET /stages`.
pub const LIST_STAGES: &str = "listStages";
/// `POST /opportunities/:opportunity/addTags`.
pub const ADD_TAGS: &str = "addTags";
/// `POST /opportunities/:opportunity/removeTags`.
pub const REMOVE_TAGS: &str = "removeTags";
/// `POST /opportunities/:opportunity/notes`.
pub const CREATE_NOTE: &str = "createNote";
/// `GET /opportunities/:opportunity/notes`.
pub const LIST_NOTES: &str = "listNotes";

/// The largest page Lever serves.
pub const PAGE_SIZE: u32 = 100;

fn with_perform_as(mut url: Url, perform_as: Option<&str>) -> Url {
    if let Some(user) = perform_as.filter(|u| !u.trim().is_empty()) {
        url.query_pairs_mut().append_pair("perform_as", user);
    }
    url
}

/// `GET /opportunities/:id?expand=applications&expand=stage`.
pub fn get_opportunity(base: &Url, opportunity: &str) -> Result<PreparedRequest, Error> {
    let mut url = url_with_segments(base, &["opportunities", opportunity])?;
    url.query_pairs_mut()
        .append_pair("expand", "applications")
        .append_pair("expand", "stage");
    Ok(PreparedRequest::new(GET_OPPORTUNITY, Method::GET, url))
}

/// `GET /opportunities/:id` (no expansion): the opportunity as it is, for
/// its `tags`.
pub fn get_opportunity_tags(base: &Url, opportunity: &str) -> Result<PreparedRequest, Error> {
    let url = url_with_segments(base, &["opportunities", opportunity])?;
    Ok(PreparedRequest::new(GET_OPPORTUNITY, Method::GET, url))
}

/// `GET /postings/:id`.
pub fn get_posting(base: &Url, posting: &str) -> Result<PreparedRequest, Error> {
    let url = url_with_segments(base, &["postings", posting])?;
    Ok(PreparedRequest::new(GET_POSTING, Method::GET, url))
}

/// `GET /stages?limit=100`, then `&offset=<next>` for later pages.
pub fn list_stages(base: &Url, offset: Option<&str>) -> Result<PreparedRequest, Error> {
    let mut url = url_with_segments(base, &["stages"])?;
    page(&mut url, offset);
    Ok(PreparedRequest::new(LIST_STAGES, Method::GET, url))
}

/// `limit=100`, and the offset token of the page asked for.
fn page(url: &mut Url, offset: Option<&str>) {
    let mut q = url.query_pairs_mut();
    q.append_pair("limit", &PAGE_SIZE.to_string());
    if let Some(offset) = offset {
        q.append_pair("offset", offset);
    }
}

/// `GET /opportunities/:id/notes?limit=100`, then `&offset=<next>` for
/// later pages.
pub fn list_notes(
    base: &Url,
    opportunity: &str,
    offset: Option<&str>,
) -> Result<PreparedRequest, Error> {
    let mut url = url_with_segments(base, &["opportunities", opportunity, "notes"])?;
    page(&mut url, offset);
    Ok(PreparedRequest::new(LIST_NOTES, Method::GET, url))
}

/// `POST /opportunities/:id/addTags` with `{"tags": [...]}`.
pub fn add_tags(
    base: &Url,
    opportunity: &str,
    perform_as: Option<&str>,
    tags: Vec<String>,
) -> Result<PreparedRequest, Error> {
    let url = with_perform_as(
        url_with_segments(base, &["opportunities", opportunity, "addTags"])?,
        perform_as,
    );
    Ok(PreparedRequest::new(ADD_TAGS, Method::POST, url)
        .json(&Tags { tags })?
        .idempotent(true))
}

/// `POST /opportunities/:id/removeTags` with `{"tags": [...]}`.
pub fn remove_tags(
    base: &Url,
    opportunity: &str,
    perform_as: Option<&str>,
    tags: Vec<String>,
) -> Result<PreparedRequest, Error> {
    let url = with_perform_as(
        url_with_segments(base, &["opportunities", opportunity, "removeTags"])?,
        perform_as,
    );
    Ok(PreparedRequest::new(REMOVE_TAGS, Method::POST, url)
        .json(&Tags { tags })?
        .idempotent(true))
}

/// `POST /opportunities/:id/notes` with the note. Not idempotent.
pub fn create_note(
    base: &Url,
    opportunity: &str,
    perform_as: Option<&str>,
    note: &CreateNote,
) -> Result<PreparedRequest, Error> {
    let url = with_perform_as(
        url_with_segments(base, &["opportunities", opportunity, "notes"])?,
        perform_as,
    );
    Ok(PreparedRequest::new(CREATE_NOTE, Method::POST, url)
        .json(note)?
        .idempotent(false))
}

/// Reads Lever's error body `{"code", "message"}`; anything else is read
/// by the generic decoder (first characters of the body, or the status).
pub fn decode_error(status: StatusCode, body: &[u8]) -> ProviderMessage {
    match serde_json::from_slice::<ApiError>(body) {
        Ok(ApiError {
            code,
            message: Some(message),
        }) if !message.trim().is_empty() => ProviderMessage {
            code: code.filter(|c| !c.trim().is_empty()),
            message,
        },
        _ => ProviderMessage::generic(status, body),
    }
}

/// Whether the host of `url` is one of Lever's (`https`, a domain ending in
/// `.lever.co`, e.g. `api.eu.lever.co`).
pub fn is_lever_host(url: &Url) -> bool {
    url.scheme() == "https"
        && matches!(url.host(), Some(url::Host::Domain(d)) if d.to_ascii_lowercase().ends_with(".lever.co"))
        && url.username().is_empty()
        && url.password().is_none()
}

/// Whether a redirect from `from` to `to` is followed with the bearer
/// token: `to` is on one of Lever's hosts ([`is_lever_host`]), or has the
/// same origin (scheme, host, port) as `from`.
pub fn trusted_redirect(from: &Url, to: &Url) -> bool {
    is_lever_host(to)
        || (to.origin() == from.origin() && to.username().is_empty() && to.password().is_none())
}

/// `url`, a URL under the API base `from`, moved under `to` (same path
/// below the base, same query); `None` when `url` is not under `from`.
pub fn rebase(url: &Url, from: &Url, to: &Url) -> Option<Url> {
    let rest = below(url, from)?;
    let mut out = to.clone();
    out.set_path(&format!("{}{rest}", to.path().trim_end_matches('/')));
    out.set_query(url.query());
    out.set_fragment(None);
    Some(out)
}

/// The API base a redirect revealed: `sent` was `base` + a path, and
/// `answered` (where the redirect led) ends with the same path; the base is
/// what comes before it. `None` when the redirect changed the path below
/// the base (then nothing is learned).
pub fn learned_base(base: &Url, sent: &Url, answered: &Url) -> Option<Url> {
    let rest = below(sent, base)?;
    let prefix = answered.path().strip_suffix(rest)?;
    let mut out = answered.clone();
    out.set_path(prefix);
    out.set_query(None);
    out.set_fragment(None);
    Some(out)
}

/// The path of `url` below `base` (`/opportunities/o1`), when `url` is on
/// `base`'s origin and under its path.
fn below<'u>(url: &'u Url, base: &Url) -> Option<&'u str> {
    if url.origin() != base.origin() {
        return None;
    }
    let rest = url.path().strip_prefix(base.path().trim_end_matches('/'))?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// A successful call, and how many HTTP requests it took (token endpoint
/// included).
#[derive(Debug)]
pub struct Sent {
    /// Lever's answer.
    pub reply: ProviderReply,
    /// Requests sent: retries, redirects, the refused `401` and token
    /// refreshes included.
    pub attempts: u32,
    /// The URL that answered: the request's own, or where Lever's
    /// redirects led.
    pub answered: Url,
}

/// Sends `request` for `tenant` with a valid access token, following the
/// redirects `trust` accepts; after a `401`, refreshes the token once and
/// sends the request once more.
pub(crate) async fn send(
    http: &HttpClient,
    tokens: &Arc<TokenManager>,
    tenant: &TenantId,
    request: &PreparedRequest,
    trust: &RedirectTrust<'_>,
) -> Result<Sent, Error> {
    let first = tokens.access_token(tenant).await?;
    let mut attempts = first.token_calls;
    match http
        .send_following(
            request,
            &Auth::Bearer(first.token.clone()),
            decode_error,
            trust,
        )
        .await
    {
        Ok((reply, answered)) => Ok(Sent {
            attempts: attempts + reply.attempts,
            reply,
            answered,
        }),
        Err(Error::ProviderRejected { status: 401, .. }) => {
            tracing::info!(
                provider = crate::translate::PROVIDER,
                %tenant,
                operation = %request.operation,
                "access token refused; refreshing once"
            );
            attempts += 1;
            let fresh = tokens.refresh(tenant, &first.token).await?;
            attempts += fresh.token_calls;
            let (reply, answered) = http
                .send_following(request, &Auth::Bearer(fresh.token), decode_error, trust)
                .await?;
            Ok(Sent {
                attempts: attempts + reply.attempts,
                reply,
                answered,
            })
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://api.lever.co/v1").unwrap()
    }

    #[test]
    fn builds_documented_requests() {
        let r = get_opportunity(&base(), "6513270e-269e-4d37-b2a7-4de452e6b438").unwrap();
        assert_eq!(
            r.url.as_str(),
            "https://api.lever.co/v1/opportunities/6513270e-269e-4d37-b2a7-4de452e6b438?expand=applications&expand=stage"
        );
        assert!(r.idempotent);
        let r = add_tags(
            &base(),
            "o1",
            Some("7f150524-34b9-45df-9e77-69b10f4205b4"),
            vec!["Acme: completed".into()],
        )
        .unwrap();
        assert_eq!(
            r.url.as_str(),
            "https://api.lever.co/v1/opportunities/o1/addTags?perform_as=7f150524-34b9-45df-9e77-69b10f4205b4"
        );
        assert_eq!(&r.body[..], br#"{"tags":["Acme: completed"]}"#);
        assert_eq!(r.headers["content-type"], "application/json");
        assert!(r.idempotent);
        let r = create_note(
            &base(),
            "o1",
            None,
            &CreateNote {
                value: "v".into(),
                secret: None,
                score: None,
                notify_followers: Some(true),
                created_at: None,
            },
        )
        .unwrap();
        assert_eq!(
            r.url.as_str(),
            "https://api.lever.co/v1/opportunities/o1/notes"
        );
        assert_eq!(&r.body[..], br#"{"value":"v","notifyFollowers":true}"#);
        assert!(!r.idempotent);
        let r = list_notes(&base(), "o1", None).unwrap();
        assert_eq!(
            (r.method.as_str(), r.url.as_str(), r.idempotent),
            (
                "GET",
                "https://api.lever.co/v1/opportunities/o1/notes?limit=100",
                true
            )
        );
        let r = list_stages(&base(), Some("0.17.abc")).unwrap();
        assert_eq!(
            r.url.as_str(),
            "https://api.lever.co/v1/stages?limit=100&offset=0.17.abc"
        );
    }

    #[test]
    fn ids_stay_in_their_segment() {
        let r = get_posting(&base(), "a/../b?x=1").unwrap();
        assert_eq!(
            r.url.as_str(),
            "https://api.lever.co/v1/postings/a%2F..%2Fb%3Fx=1"
        );
        assert!(get_posting(&base(), "..").is_err());
        assert!(get_posting(&base(), " ").is_err());
        let trailing = Url::parse("https://api.lever.co/v1/").unwrap();
        assert_eq!(
            get_posting(&trailing, "p").unwrap().url.as_str(),
            "https://api.lever.co/v1/postings/p"
        );
    }

    #[test]
    fn redirects_are_trusted_to_levers_https_hosts_and_the_same_origin_only() {
        let from = base();
        let to = |s: &str| Url::parse(s).unwrap();
        for ok in [
            "https://api.eu.lever.co/v1/stages",
            "https://API.EU.LEVER.CO/v1/stages",
            "https://api.lever.co:8443/v1/stages",
            "https://api.lever.co/other",
        ] {
            assert!(trusted_redirect(&from, &to(ok)), "{ok}");
        }
        for refused in [
            "http://api.eu.lever.co/v1/stages",
            "https://api.eu.lever.co.example.com/v1/stages",
            "https://evillever.co/v1/stages",
            "https://lever.co/v1/stages",
            "https://user:pw@api.eu.lever.co/v1/stages",
            "https://203.0.113.7/v1/stages",
            "ftp://api.eu.lever.co/v1/stages",
        ] {
            assert!(!trusted_redirect(&from, &to(refused)), "{refused}");
        }
        let local = to("http://127.0.0.1:4000/v1");
        assert!(trusted_redirect(&local, &to("http://127.0.0.1:4000/eu/v1")));
        assert!(!trusted_redirect(&local, &to("http://127.0.0.1:4001/v1")));
    }

    #[test]
    fn region_bases_are_learned_from_redirects_and_applied_to_later_calls() {
        let eu = Url::parse("https://api.eu.lever.co/v1").unwrap();
        let sent = get_opportunity(&base(), "o1").unwrap().url;
        let answered =
            Url::parse("https://api.eu.lever.co/v1/opportunities/o1?expand=applications").unwrap();
        assert_eq!(learned_base(&base(), &sent, &answered), Some(eu.clone()));
        // a redirect to another path below the base teaches nothing
        let elsewhere = Url::parse("https://api.eu.lever.co/v1/login").unwrap();
        assert_eq!(learned_base(&base(), &sent, &elsewhere), None);
        assert_eq!(
            rebase(&sent, &base(), &eu).unwrap().as_str(),
            "https://api.eu.lever.co/v1/opportunities/o1?expand=applications&expand=stage"
        );
        let other = Url::parse("https://api.example.com/v1/x").unwrap();
        assert_eq!(rebase(&other, &base(), &eu), None);
        let v10 = Url::parse("https://api.lever.co/v10/x").unwrap();
        assert_eq!(rebase(&v10, &base(), &eu), None);
    }

    #[test]
    fn error_bodies_keep_levers_code_and_message() {
        let m = decode_error(
            StatusCode::NOT_FOUND,
            br#"{"code":"ResourceNotFound","message":"opportunities o1 was not found"}"#,
        );
        assert_eq!(m.code.as_deref(), Some("ResourceNotFound"));
        assert_eq!(m.message, "opportunities o1 was not found");
        let m = decode_error(StatusCode::BAD_GATEWAY, b"Bad Gateway");
        assert_eq!((m.code, m.message.as_str()), (None, "Bad Gateway"));
        assert_eq!(
            decode_error(StatusCode::SERVICE_UNAVAILABLE, b"").message,
            "Service Unavailable"
        );
    }
}
