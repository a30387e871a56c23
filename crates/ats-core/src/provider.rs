//! The [`AtsProvider`] trait every adapter implements, and how an adapter
//! describes itself ([`Capabilities`], [`Operation`]).

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::event::{Inbound, InboundEvent, VendorReply};
use crate::http::{InboundRequest, InboundResponse, PreparedRequest};
use crate::model::{AssessmentOrder, AssessmentResult, OrderHandle, Package, TenantId};
use crate::secret::Secret;

/// Which way an operation goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The provider calls the vendor (a partner endpoint or a webhook).
    Inbound,
    /// The vendor calls the provider.
    Outbound,
}

/// One call or event of a provider's API, under the provider's own name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Operation {
    /// The provider's name for it (`send_test`, `assessment.update`).
    pub name: &'static str,
    /// Who calls whom.
    pub direction: Direction,
    /// What it does, in one line.
    pub summary: &'static str,
}

impl Operation {
    /// An inbound operation.
    pub const fn inbound(name: &'static str, summary: &'static str) -> Self {
        Self {
            name,
            direction: Direction::Inbound,
            summary,
        }
    }

    /// An outbound operation.
    pub const fn outbound(name: &'static str, summary: &'static str) -> Self {
        Self {
            name,
            direction: Direction::Outbound,
            summary,
        }
    }
}

/// How the provider proves an inbound call is genuine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "scheme", rename_all = "snake_case")]
pub enum InboundAuth {
    /// `Authorization: Basic` with a vendor-issued API key as user name.
    BasicApiKey,
    /// `Authorization: Bearer` with a vendor-issued token.
    BearerToken,
    /// An HMAC signature of the body in a header.
    HeaderSignature {
        /// The header name, lower case.
        header: &'static str,
    },
    /// An HMAC signature in a field of the JSON body.
    BodySignature {
        /// The field name.
        field: &'static str,
    },
}

impl InboundAuth {
    /// The header carrying the credential, if any.
    pub fn header(&self) -> Option<&'static str> {
        match self {
            Self::BasicApiKey | Self::BearerToken => Some("authorization"),
            Self::HeaderSignature { header } => Some(header),
            Self::BodySignature { .. } => None,
        }
    }
}

/// How the vendor's packages reach the ATS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PackageDelivery {
    /// The provider asks the vendor when it needs them
    /// ([`InboundEvent::PackagesRequested`]).
    Served,
    /// The vendor pushes them ([`AtsProvider::publish_packages`]).
    Pushed,
    /// Configured by hand in the ATS, or mapped by the vendor (no API).
    Configured,
}

/// How orders reach the vendor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderDelivery {
    /// A synchronous call that waits for the vendor's acceptance.
    Call,
    /// A webhook; the vendor acknowledges receipt.
    Webhook,
}

/// How results get back to the ATS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultDelivery {
    /// The vendor only signals a change; the provider then asks for the
    /// status ([`InboundEvent::StatusRequested`]).
    Notify,
    /// The vendor writes the result to the provider's API.
    Push,
    /// The vendor writes a note and tags on the candidate (no result API).
    NoteAndTags,
}

/// What an adapter's provider can do. Vendors branch on it instead of on
/// provider names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// How inbound calls are authenticated.
    pub inbound_auth: InboundAuth,
    /// How packages reach the ATS.
    pub packages: PackageDelivery,
    /// How orders arrive.
    pub orders: OrderDelivery,
    /// Whether a rejection's message is shown to the recruiter in the ATS.
    pub reject_with_message: bool,
    /// Whether the provider cancels orders.
    pub cancellation: bool,
    /// Whether the provider asks for status ([`InboundEvent::StatusRequested`]).
    pub status_queries: bool,
    /// How results get back.
    pub results: ResultDelivery,
    /// Whether open orders can be listed ([`AtsProvider::open_orders`]),
    /// to catch up on missed webhooks.
    pub open_orders: bool,
    /// Whether connecting a customer needs an OAuth 2.0 authorization.
    pub oauth: bool,
}

/// An outbound write, as input to [`AtsProvider::prepare`] (and `ats render`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
#[non_exhaustive]
pub enum OutboundCall {
    /// Report an assessment's status or result for an order.
    SubmitResult {
        /// The order, as persisted at acceptance.
        order: Box<OrderHandle>,
        /// The status or result.
        result: Box<AssessmentResult>,
    },
    /// Publish the tenant's packages (push-model providers).
    PublishPackages {
        /// The customer connection.
        tenant: TenantId,
        /// All of the tenant's packages.
        packages: Vec<Package>,
    },
}

/// What an outbound write achieved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delivery {
    /// HTTP calls made, retries included.
    pub attempts: u32,
    /// Warnings the provider returned with its success.
    pub warnings: Vec<String>,
}

impl Delivery {
    /// Nothing was sent, by design: the provider has no place for this
    /// result (a status it does not take). `reason` is the one warning, so
    /// the activity log says why; vendor code need not know which provider
    /// takes what.
    pub fn skipped(reason: impl Into<String>) -> Self {
        Self {
            attempts: 0,
            warnings: vec![reason.into()],
        }
    }
}

/// Where a piece of an inbound request that is not in its body comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "in", content = "name", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TransportInput {
    /// A request header (its name as the provider spells it).
    Header(&'static str),
    /// A segment of the URL path, shown as the path's template
    /// (`/webhooks/{tenant}`).
    Path(&'static str),
}

/// Something a bare payload could not say because it travels outside the
/// body (see [`AtsProvider::translate_bare`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unresolved {
    /// What is left unset in the event (`tenant`).
    pub field: &'static str,
    /// Where a real request carries it.
    pub from: TransportInput,
}

/// A payload translated without the request around it.
#[derive(Clone, Debug, PartialEq)]
pub struct BareTranslation {
    /// The event, with what the transport would have supplied left unset.
    pub event: InboundEvent,
    /// What was left unset, and where it would have come from.
    pub unresolved: Vec<Unresolved>,
}

/// One ATS or unified API, seen from the vendor.
///
/// The contract, in layers:
///
/// * **Translation** ([`translate`](Self::translate),
///   [`respond`](Self::respond), [`prepare`](Self::prepare)) is pure: bytes
///   in, core types out, and back. No credential checks, no I/O; this is
///   what `ats inspect` / `ats render` run, what fixtures test and what
///   fuzzers hit. It never panics, whatever the input.
/// * **Authentication** ([`authenticate`](Self::authenticate)) checks the
///   request's credential or signature and finds the tenant.
/// * **I/O** ([`receive`](Self::receive) where details must be fetched,
///   [`submit_result`](Self::submit_result),
///   [`publish_packages`](Self::publish_packages),
///   [`open_orders`](Self::open_orders)) talks to the provider.
///
/// [`crate::serve::handle`] puts the inbound half together with a
/// [`crate::Vendor`]. Adapters must be cheap to share (`Arc<dyn AtsProvider>`).
#[async_trait]
pub trait AtsProvider: Send + Sync + fmt::Debug {
    /// The adapter's short name (lower case, e.g. `myats`), used in logs and the CLI.
    fn name(&self) -> &'static str;

    /// What the provider can do.
    fn capabilities(&self) -> Capabilities;

    /// Every call and event, both directions, under the provider's names.
    fn operations(&self) -> &'static [Operation];

    /// How the inbound `operation` is authenticated. Defaults to
    /// [`Capabilities::inbound_auth`]; providers that call the vendor in
    /// more than one way (signed webhooks and a key-authenticated endpoint)
    /// override it.
    fn inbound_auth(&self, operation: &str) -> InboundAuth {
        let _ = operation;
        self.capabilities().inbound_auth
    }

    /// Which inbound operation a request is, from its method and path (and
    /// for webhooks, its body's event type). [`Error::UnknownOperation`]
    /// when none.
    fn route(&self, request: &InboundRequest) -> Result<&'static str, Error>;

    /// Translates an inbound request into a core event. Pure: no credential
    /// check and no I/O; the event's tenant is left unset unless the payload
    /// names it.
    fn translate(&self, operation: &str, request: &InboundRequest) -> Result<InboundEvent, Error>;

    /// Translates a payload that may lack its transport data (a header, a
    /// per-connection URL path), as `ats inspect` reads a provider's
    /// documented example body: where only such data is missing, the event
    /// is still translated, with the field it would have set left unset and
    /// named in [`BareTranslation::unresolved`]. Anything else that is
    /// wrong fails as in [`translate`](Self::translate), which this
    /// defaults to.
    fn translate_bare(
        &self,
        operation: &str,
        request: &InboundRequest,
    ) -> Result<BareTranslation, Error> {
        Ok(BareTranslation {
            event: self.translate(operation, request)?,
            unresolved: Vec::new(),
        })
    }

    /// Checks the request's credential or signature, returning the tenant it
    /// identifies (`None` when the payload, not the credential, names it).
    async fn authenticate(
        &self,
        operation: &str,
        request: &InboundRequest,
    ) -> Result<Option<TenantId>, Error>;

    /// Routes, authenticates and translates an inbound request. Adapters
    /// whose payloads carry only references override it to fetch the details.
    async fn receive(&self, request: &InboundRequest) -> Result<Inbound, Error> {
        let operation = self.route(request)?;
        let tenant = self.authenticate(operation, request).await?;
        let mut event = self.translate(operation, request)?;
        if let Some(tenant) = tenant {
            event.set_tenant(tenant);
        }
        Ok(Inbound {
            operation: operation.to_owned(),
            event,
        })
    }

    /// Renders the vendor's answer to `operation` as the provider's exact
    /// HTTP response. A reply that does not fit the operation (packages to a
    /// status query) is [`Error::Config`].
    fn respond(&self, operation: &str, reply: &VendorReply) -> Result<InboundResponse, Error>;

    /// Renders the vendor's answer to a received call. Defaults to
    /// [`respond`](Self::respond) with the call's operation; adapters whose
    /// answer repeats something from the request (an id to echo) override it.
    /// [`crate::serve::handle`] calls this one.
    fn respond_to(&self, inbound: &Inbound, reply: &VendorReply) -> Result<InboundResponse, Error> {
        self.respond(&inbound.operation, reply)
    }

    /// The vendor could not handle an authenticated delivery (it failed, or
    /// its answer could not be rendered), so the provider will deliver it
    /// again: an adapter that refuses repeated deliveries (a replay guard)
    /// lets that redelivery through. The default does nothing.
    fn forget_delivery(&self, request: &InboundRequest) {
        let _ = request;
    }

    /// Renders an error as the provider expects errors (status and body).
    /// `operation` is `None` when routing itself failed.
    fn respond_error(&self, operation: Option<&str>, error: &Error) -> InboundResponse;

    /// Builds the requests an outbound write consists of, without credentials
    /// and without sending them.
    fn prepare(&self, call: &OutboundCall) -> Result<Vec<PreparedRequest>, Error>;

    /// Reports an assessment's status or result to the provider.
    async fn submit_result(
        &self,
        order: &OrderHandle,
        result: &AssessmentResult,
    ) -> Result<Delivery, Error>;

    /// Publishes the tenant's whole package list (push-model providers).
    async fn publish_packages(
        &self,
        tenant: &TenantId,
        packages: &[Package],
    ) -> Result<Delivery, Error> {
        let _ = (tenant, packages);
        Err(Error::unsupported(self.name(), "publishing packages"))
    }

    /// What this adapter needs for production traffic and was not given:
    /// account-wide credentials (an API key, a webhook secret), one line
    /// each, naming the setting and what fails without it. Empty when
    /// nothing is missing, and for adapters whose credentials are per
    /// customer (they are checked per call). A server calls this at start:
    /// a missing key then fails the start, not the first write-back.
    fn missing_configuration(&self) -> Vec<String> {
        Vec::new()
    }

    /// The signature header the provider puts on a call whose body is
    /// `body`, signed with the shared `secret`: what a stand-in playing the
    /// provider sends (`ats simulate`). The default serves providers that
    /// sign with [`InboundAuth::HeaderSignature`] as most do (HMAC-SHA256
    /// of the body, base64url without padding); an adapter whose provider
    /// signs otherwise overrides it. `None` for calls not signed in a header
    /// with a shared secret.
    fn provider_signature(&self, secret: &Secret, body: &[u8]) -> Option<(&'static str, String)> {
        match self.capabilities().inbound_auth {
            InboundAuth::HeaderSignature { header } => Some((
                header,
                crate::signature::sign(
                    secret,
                    body,
                    crate::signature::SignatureEncoding::Base64UrlNoPad,
                ),
            )),
            _ => None,
        }
    }

    /// The adapter's OAuth 2.0 connection, for providers whose customers
    /// connect by granting the vendor's app access
    /// ([`Capabilities::oauth`]): a server drives the authorization with it
    /// (consent URL, callback, code exchange) without naming the provider.
    fn oauth(&self) -> Option<&crate::oauth::TokenManager> {
        None
    }

    /// Lists orders the vendor has not answered yet, to catch up on missed
    /// webhooks.
    async fn open_orders(&self, tenant: &TenantId) -> Result<Vec<AssessmentOrder>, Error> {
        let _ = tenant;
        Err(Error::unsupported(self.name(), "listing open orders"))
    }
}

/// Refuses an order handle issued by another adapter: results go back
/// through the adapter the order came from (its [`OrderHandle::provider`]).
/// Every adapter's `submit_result` and `prepare` call it first, through
/// [`check_submission`] and [`check_call`].
pub fn check_handle(adapter: &str, handle: &OrderHandle) -> Result<(), Error> {
    if handle.provider == adapter {
        Ok(())
    } else {
        Err(Error::config(format!(
            "this order came through `{}`, not `{adapter}`: write its results back through `{}`",
            handle.provider, handle.provider
        )))
    }
}

/// What every adapter's `submit_result` checks first: the handle is its
/// own ([`check_handle`]) and every link of the result is one a recruiter
/// can safely open ([`codec::check_result_links`](crate::codec::check_result_links)).
pub fn check_submission(
    adapter: &str,
    order: &OrderHandle,
    result: &AssessmentResult,
) -> Result<(), Error> {
    check_handle(adapter, order)?;
    crate::codec::check_result_links(result)
}

/// [`check_submission`] for an outbound call that writes a result;
/// [`codec::check_packages`](crate::codec::check_packages) for one that
/// publishes packages. Every adapter's `prepare` calls it first.
pub fn check_call(adapter: &str, call: &OutboundCall) -> Result<(), Error> {
    match call {
        OutboundCall::SubmitResult { order, result } => check_submission(adapter, order, result),
        OutboundCall::PublishPackages { packages, .. } => crate::codec::check_packages(packages),
    }
}

/// The [`Operation`] named `name` in `operations`.
pub fn find_operation(operations: &'static [Operation], name: &str) -> Option<&'static Operation> {
    operations.iter().find(|o| o.name == name)
}

/// [`Error::UnknownOperation`] for a provider and a description.
pub fn unknown_operation(provider: &str, what: impl Into<String>) -> Error {
    Error::UnknownOperation {
        provider: provider.to_owned(),
        what: what.into(),
    }
}

/// [`Error::Config`] for a reply that does not answer `operation`.
pub fn reply_mismatch(operation: &str, reply: &VendorReply) -> Error {
    Error::config(format!(
        "a `{}` reply does not answer `{operation}`",
        reply.kind()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AssessmentStatus;

    /// A write is checked before anything is built: the handle must be the
    /// adapter's own, and every link of the result http or https.
    #[test]
    fn a_write_is_checked_for_its_handle_and_its_links() {
        let handle = |provider: &str| -> OrderHandle {
            serde_json::from_value(serde_json::json!({"provider": provider})).unwrap()
        };
        let result = |link: &str| {
            let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
            r.report_url = url::Url::parse(link).ok();
            r
        };
        let call = |provider: &str, link: &str| OutboundCall::SubmitResult {
            order: Box::new(handle(provider)),
            result: Box::new(result(link)),
        };
        let fine = "https://vendor.example/r/1";
        assert!(check_submission("kombo", &handle("kombo"), &result(fine)).is_ok());
        assert!(check_call("kombo", &call("kombo", fine)).is_ok());
        let foreign = "configuration error: this order came through `ashby`, not `kombo`: \
                       write its results back through `ashby`";
        let script = "malformed payload at `report_url`: a link must be an http or https URL, \
                      not `javascript:`";
        for (provider, link, said) in [
            ("ashby", fine, foreign),
            ("kombo", "javascript:alert(1)", script),
        ] {
            let e = check_submission("kombo", &handle(provider), &result(link)).unwrap_err();
            assert_eq!(e.to_string(), said);
            let e = check_call("kombo", &call(provider, link)).unwrap_err();
            assert_eq!(e.to_string(), said);
        }
        let publish = |id: &str| OutboundCall::PublishPackages {
            tenant: crate::model::TenantId::new("t1"),
            packages: vec![Package::new(id, "Rust")],
        };
        assert!(check_call("kombo", &publish("rust")).is_ok());
        assert_eq!(
            check_call("kombo", &publish("")).unwrap_err().to_string(),
            "malformed payload at `packages[0].id`: is blank"
        );
    }
}
