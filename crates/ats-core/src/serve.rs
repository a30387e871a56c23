//! [`handle`]: one inbound call, end to end, for any adapter and any vendor.

use crate::error::Error;
use crate::event::{Inbound, InboundEvent, VendorReply};
use crate::http::{InboundRequest, InboundResponse};
use crate::provider::AtsProvider;
use crate::vendor::{Vendor, VendorError};

/// The largest inbound body [`handle`] accepts: 1 MiB, the limit the
/// server's HTTP layer applies too. A provider's real calls are a few
/// kilobytes; a larger body is refused before its signature is computed
/// or its JSON parsed.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Refuses a body larger than [`MAX_BODY_BYTES`] as [`Error::Malformed`]
/// at `.`. [`handle`] calls it first; a runtime that calls
/// [`AtsProvider::receive`] itself calls it before.
pub fn check_body_size(request: &InboundRequest) -> Result<(), Error> {
    if request.body.len() > MAX_BODY_BYTES {
        return Err(Error::malformed(
            ".",
            format!(
                "the body is {} bytes, more than the {MAX_BODY_BYTES} accepted",
                request.body.len()
            ),
        ));
    }
    Ok(())
}

/// What happened while handling one inbound call: the response, and what led
/// to it (for the vendor's activity log).
#[derive(Debug)]
pub struct Handled {
    /// The response to send back to the provider.
    pub response: InboundResponse,
    /// The translated call, when it got that far.
    pub inbound: Option<Inbound>,
    /// The vendor's answer, when it got that far.
    pub reply: Option<VendorReply>,
    /// The error that decided the response, if one did.
    pub error: Option<Error>,
}

/// Receives a provider's call through `provider`, asks `vendor`, and renders
/// the answer in the provider's format.
///
/// Never panics and always produces a response: oversized bodies
/// ([`MAX_BODY_BYTES`]), authentication failures, malformed payloads and
/// vendor errors are rendered the way the provider expects errors
/// ([`AtsProvider::respond_error`]).
///
/// ```
/// # use ats_core::{serve, AtsProvider, Vendor, InboundRequest};
/// # async fn demo(provider: &dyn AtsProvider, vendor: &dyn Vendor, request: InboundRequest) {
/// let handled = serve::handle(provider, vendor, &request).await;
/// let http_response = handled.response.into_http();
/// # }
/// ```
pub async fn handle(
    provider: &dyn AtsProvider,
    vendor: &dyn Vendor,
    request: &InboundRequest,
) -> Handled {
    if let Err(error) = check_body_size(request) {
        tracing::info!(provider = provider.name(), %error, "inbound call refused");
        return Handled {
            response: provider.respond_error(provider.route(request).ok(), &error),
            inbound: None,
            reply: None,
            error: Some(error),
        };
    }
    let inbound = match provider.receive(request).await {
        Ok(inbound) => inbound,
        Err(error) => {
            let operation = provider.route(request).ok();
            tracing::info!(provider = provider.name(), %error, "inbound call refused");
            return Handled {
                response: provider.respond_error(operation, &error),
                inbound: None,
                reply: None,
                error: Some(error),
            };
        }
    };
    if let Err(error) = admit(provider, &inbound.event) {
        tracing::info!(provider = provider.name(), operation = %inbound.operation, %error, "order refused before the vendor");
        provider.forget_delivery(request);
        return Handled {
            response: provider.respond_error(Some(&inbound.operation), &error),
            inbound: Some(inbound),
            reply: None,
            error: Some(error),
        };
    }
    let reply = match ask(vendor, &inbound.event).await {
        Ok(reply) => reply,
        Err(error) => {
            tracing::warn!(provider = provider.name(), operation = %inbound.operation, %error, "vendor failed");
            provider.forget_delivery(request);
            return Handled {
                response: provider.respond_error(Some(&inbound.operation), &error),
                inbound: Some(inbound),
                reply: None,
                error: Some(error),
            };
        }
    };
    match provider.respond_to(&inbound, &reply) {
        Ok(response) => Handled {
            response,
            inbound: Some(inbound),
            reply: Some(reply),
            error: None,
        },
        Err(error) => {
            provider.forget_delivery(request);
            Handled {
                response: provider.respond_error(Some(&inbound.operation), &error),
                inbound: Some(inbound),
                reply: Some(reply),
                error: Some(error),
            }
        }
    }
}

/// Checks an authenticated event before the vendor sees it, so that
/// nothing is accepted that can never be answered:
///
/// * identifiers, e-mail addresses, names and URLs hold no control
///   character ([`crate::codec::check_event_text`]);
/// * repeated items stay within [`crate::codec::MAX_ITEMS`]
///   ([`crate::codec::check_event_items`]);
/// * for an order, the write-back it will need later can be built: a dry
///   run of [`AtsProvider::prepare`] with a completed result must not fail
///   on the order's own values (an id unfit for a URL path, a callback URL
///   the policy refuses). Failures that configuration can mend (a tenant
///   not connected yet) do not refuse the order.
///
/// [`handle`] calls it; so does the durable runtime.
pub fn admit(provider: &dyn AtsProvider, event: &InboundEvent) -> Result<(), Error> {
    crate::codec::check_event_text(event)?;
    crate::codec::check_event_items(event)?;
    let InboundEvent::OrderReceived(order) = event else {
        return Ok(());
    };
    let mut probe =
        crate::model::AssessmentResult::with_status(crate::model::AssessmentStatus::Completed);
    static REPORT: std::sync::LazyLock<Option<url::Url>> =
        std::sync::LazyLock::new(|| url::Url::parse("https://vendor.example/report").ok());
    probe.report_url = REPORT.clone();
    probe.completed_at = Some(order.received_at);
    let call = crate::provider::OutboundCall::SubmitResult {
        order: Box::new(order.handle(Some("admission-check"))),
        result: Box::new(probe),
    };
    match provider.prepare(&call) {
        Err(e @ (Error::UntrustedUrl { .. } | Error::Malformed { .. })) => Err(e),
        _ => Ok(()),
    }
}

/// Asks the vendor what the event calls for.
///
/// Three answers are the vendor's mistake ([`VendorError::Internal`], saying
/// so), refused before the provider sees them: an acceptance whose
/// assessment id is blank or holds a control character (that id is given
/// to the provider and keys every later call about the order, so the order
/// could never be answered); an acceptance or a status with a link that is
/// not `http` or `https` ([`codec::check_link`](crate::codec::check_link):
/// the provider shows it to recruiters and candidates); and a package list
/// with a package that could never be ordered or told apart
/// ([`codec::check_packages`](crate::codec::check_packages)).
pub async fn ask(vendor: &dyn Vendor, event: &InboundEvent) -> Result<VendorReply, Error> {
    Ok(match event {
        InboundEvent::PackagesRequested(r) => {
            let packages = vendor.packages(r).await?;
            crate::codec::check_packages(&packages).map_err(vendor_mistake)?;
            VendorReply::Packages { packages }
        }
        InboundEvent::OrderReceived(order) => {
            let decision = vendor.order(order).await?;
            if let crate::event::OrderDecision::Accepted(a) = &decision {
                check_assessment_id(&a.vendor_assessment_id)?;
                if let Some(url) = &a.candidate_url {
                    crate::codec::check_link(url, "candidate_url").map_err(vendor_mistake)?;
                }
            }
            decision.into()
        }
        InboundEvent::OrderCancelled(c) => match vendor.cancel(c).await {
            // Nothing to cancel (never accepted, or already forgotten): the
            // provider's wish is fulfilled, and an error would only make it
            // redeliver the cancellation for days.
            Ok(()) | Err(VendorError::UnknownOrder { .. }) => VendorReply::Acknowledged,
            Err(e) => return Err(e.into()),
        },
        InboundEvent::StatusRequested(q) => {
            let result = vendor.status(q).await?;
            crate::codec::check_result_links(&result).map_err(vendor_mistake)?;
            VendorReply::Status(Box::new(result))
        }
        InboundEvent::ErrorReported(r) => {
            vendor.error_reported(r).await?;
            VendorReply::Acknowledged
        }
        InboundEvent::Ignored(_) => VendorReply::Acknowledged,
    })
}

/// A vendor's answer refused by one of the codec's rules.
fn vendor_mistake(e: Error) -> Error {
    let message = match e {
        Error::Malformed { path, message } => {
            format!("the vendor's answer cannot be given to the provider: `{path}`: {message}")
        }
        other => other.to_string(),
    };
    Error::Vendor(VendorError::Internal { message })
}

/// The vendor's assessment id: not blank, no control character.
fn check_assessment_id(id: &str) -> Result<(), Error> {
    let problem = if id.trim().is_empty() {
        "is blank".to_owned()
    } else if let Err(e) = crate::codec::no_control_chars(id, "vendor_assessment_id") {
        match e {
            Error::Malformed { message, .. } => message,
            other => other.to_string(),
        }
    } else {
        return Ok(());
    };
    Err(Error::Vendor(VendorError::Internal {
        message: format!(
            "the vendor accepted the order with an assessment id that {problem}, which the \
             provider would keep and use in every later call about the order"
        ),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Acceptance, OrderDecision, PackagesRequest, StatusQuery};
    use crate::http::PreparedRequest;
    use crate::model::{AssessmentOrder, AssessmentResult, OrderHandle, Package, TenantId};
    use crate::provider::{
        Capabilities, Delivery, InboundAuth, Operation, OrderDelivery, OutboundCall,
        PackageDelivery, ResultDelivery,
    };
    use crate::vendor::VendorError;
    use crate::{Cancellation, Vendor};
    use async_trait::async_trait;
    use http::{Method, StatusCode};

    /// A provider whose one operation asks for packages; `fail_auth` makes
    /// authentication fail, `bad_render` makes rendering fail, `refuse`
    /// makes `prepare` fail.
    #[derive(Debug, Default)]
    struct Stub {
        fail_auth: bool,
        bad_render: bool,
        refuse: Refusal,
        forgotten: std::sync::atomic::AtomicUsize,
    }

    /// How the stub's `prepare` fails.
    #[derive(Debug, Default, Clone, Copy)]
    enum Refusal {
        #[default]
        None,
        Url,
        Id,
        Config,
    }

    #[async_trait]
    impl AtsProvider for Stub {
        fn name(&self) -> &'static str {
            "stub"
        }
        fn capabilities(&self) -> Capabilities {
            Capabilities {
                inbound_auth: InboundAuth::BearerToken,
                packages: PackageDelivery::Served,
                orders: OrderDelivery::Call,
                reject_with_message: false,
                cancellation: false,
                status_queries: false,
                results: ResultDelivery::Push,
                open_orders: false,
                oauth: false,
            }
        }
        fn operations(&self) -> &'static [Operation] {
            const OPS: &[Operation] = &[Operation::inbound("packages", "list")];
            OPS
        }
        fn route(&self, request: &InboundRequest) -> Result<&'static str, Error> {
            match request.path.as_str() {
                "/packages" => Ok("packages"),
                other => Err(crate::provider::unknown_operation("stub", other)),
            }
        }
        fn translate(&self, _: &str, _: &InboundRequest) -> Result<InboundEvent, Error> {
            Ok(InboundEvent::PackagesRequested(PackagesRequest {
                provider: "stub".into(),
                tenant: None,
            }))
        }
        async fn authenticate(
            &self,
            _: &str,
            _: &InboundRequest,
        ) -> Result<Option<TenantId>, Error> {
            if self.fail_auth {
                Err(Error::unauthenticated("no"))
            } else {
                Ok(Some(TenantId::new("t1")))
            }
        }
        fn respond(&self, op: &str, reply: &VendorReply) -> Result<InboundResponse, Error> {
            match reply {
                VendorReply::Packages { packages } if !self.bad_render => {
                    InboundResponse::json(StatusCode::OK, &packages.len())
                }
                other => Err(crate::provider::reply_mismatch(op, other)),
            }
        }
        fn respond_error(&self, _: Option<&str>, error: &Error) -> InboundResponse {
            let status = StatusCode::from_u16(error.inbound_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            InboundResponse::json(status, &error.public_message())
                .unwrap_or_else(|_| InboundResponse::empty(status))
        }
        fn forget_delivery(&self, _: &InboundRequest) {
            self.forgotten
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        fn prepare(&self, _: &OutboundCall) -> Result<Vec<PreparedRequest>, Error> {
            match self.refuse {
                Refusal::None => Ok(Vec::new()),
                Refusal::Url => Err(Error::UntrustedUrl {
                    url: "http://169.254.169.254/".into(),
                    reason: "not allowed".into(),
                }),
                Refusal::Id => Err(Error::malformed("id", "not fit for a path")),
                Refusal::Config => Err(Error::config("no credential for the tenant yet")),
            }
        }
        async fn submit_result(
            &self,
            _: &OrderHandle,
            _: &AssessmentResult,
        ) -> Result<Delivery, Error> {
            Ok(Delivery::default())
        }
    }

    struct Shop(Result<Vec<Package>, VendorError>, &'static str);

    #[async_trait]
    impl Vendor for Shop {
        async fn packages(&self, r: &PackagesRequest) -> Result<Vec<Package>, VendorError> {
            assert_eq!(
                r.tenant,
                Some(TenantId::new("t1")),
                "tenant set from authentication"
            );
            self.0.clone()
        }
        async fn order(&self, _: &AssessmentOrder) -> Result<OrderDecision, VendorError> {
            Ok(OrderDecision::Accepted(Acceptance::new(self.1)))
        }
        async fn cancel(&self, c: &Cancellation) -> Result<(), VendorError> {
            match c.order.display_id() {
                "known" => Ok(()),
                "down" => Err(VendorError::Unavailable {
                    message: "db".into(),
                }),
                other => Err(VendorError::UnknownOrder { id: other.into() }),
            }
        }
        async fn status(&self, _: &StatusQuery) -> Result<AssessmentResult, VendorError> {
            Err(VendorError::UnknownOrder { id: "x".into() })
        }
    }

    fn req(path: &str) -> InboundRequest {
        InboundRequest::new(Method::GET, path)
    }

    fn ok_shop() -> Shop {
        Shop(
            Ok(vec![Package::new("a", "A"), Package::new("b", "B")]),
            "x",
        )
    }

    #[tokio::test]
    async fn answers_through_the_vendor() {
        let stub = Stub {
            fail_auth: false,
            bad_render: false,
            ..Stub::default()
        };
        let h = handle(&stub, &ok_shop(), &req("/packages")).await;
        assert_eq!(h.response.status, StatusCode::OK);
        assert_eq!(&h.response.body[..], b"2");
        assert!(h.error.is_none());
        assert_eq!(
            h.inbound.unwrap().event.tenant(),
            Some(&TenantId::new("t1"))
        );
    }

    #[tokio::test]
    async fn refusals_are_rendered_the_providers_way() {
        let stub = Stub {
            fail_auth: true,
            bad_render: false,
            ..Stub::default()
        };
        let h = handle(&stub, &ok_shop(), &req("/packages")).await;
        assert_eq!(h.response.status, StatusCode::UNAUTHORIZED);
        assert!(h.inbound.is_none());
        let stub = Stub {
            fail_auth: false,
            bad_render: false,
            ..Stub::default()
        };
        let h = handle(&stub, &ok_shop(), &req("/nope")).await;
        assert_eq!(h.response.status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn vendor_failures_keep_details_out_of_the_response() {
        let stub = Stub {
            fail_auth: false,
            bad_render: false,
            ..Stub::default()
        };
        let shop = Shop(
            Err(VendorError::Unavailable {
                message: "db at 10.0.0.7 down".into(),
            }),
            "x",
        );
        let h = handle(&stub, &shop, &req("/packages")).await;
        assert_eq!(h.response.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(!String::from_utf8_lossy(&h.response.body).contains("10.0.0.7"));
        assert!(h.error.unwrap().is_retryable());
        let shop = Shop(
            Err(VendorError::Internal {
                message: "bug".into(),
            }),
            "x",
        );
        let h = handle(&stub, &shop, &req("/packages")).await;
        assert_eq!(h.response.status, StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[tokio::test]
    async fn cancelling_an_unknown_order_is_acknowledged() {
        let cancel = |id: &str| {
            InboundEvent::OrderCancelled(Cancellation {
                provider: "p".into(),
                tenant: None,
                order: crate::OrderRef::vendor(id),
                reason: None,
                received_at: chrono::DateTime::UNIX_EPOCH,
                raw: crate::model::RawJson::null(),
            })
        };
        let shop = ok_shop();
        assert_eq!(
            ask(&shop, &cancel("known")).await.unwrap(),
            VendorReply::Acknowledged
        );
        assert_eq!(
            ask(&shop, &cancel("never-seen")).await.unwrap(),
            VendorReply::Acknowledged
        );
        let e = ask(&shop, &cancel("down")).await.unwrap_err();
        assert!(e.is_retryable(), "{e}");
    }

    /// An assessment id the provider would be given and could never use
    /// is the vendor's mistake, refused before any answer.
    #[tokio::test]
    async fn an_acceptance_with_an_unusable_assessment_id_is_refused() {
        let order = InboundEvent::OrderReceived(Box::new(AssessmentOrder::sample(
            "a@example.com",
            crate::model::RawJson::null(),
        )));
        let shop = |id| Shop(Ok(Vec::new()), id);
        assert_eq!(
            ask(&shop("asm-1"), &order).await.unwrap(),
            VendorReply::Accepted(Acceptance::new("asm-1"))
        );
        for (id, problem) in [
            ("", "is blank"),
            (" \t", "is blank"),
            ("asm\u{0}1", "holds the control character U+0000"),
            ("asm-1\n", "holds the control character U+000A"),
        ] {
            let e = ask(&shop(id), &order).await.unwrap_err();
            assert!(!e.is_retryable());
            assert_eq!(
                e.to_string(),
                format!(
                    "vendor internal error: the vendor accepted the order with an assessment id \
                     that {problem}, which the provider would keep and use in every later call \
                     about the order"
                )
            );
        }
    }

    /// A package list the provider could not order from is the vendor's
    /// mistake, refused before the provider lists it.
    #[tokio::test]
    async fn a_package_list_with_two_packages_of_one_id_is_refused() {
        let ask_for = InboundEvent::PackagesRequested(PackagesRequest {
            provider: "stub".into(),
            tenant: Some(TenantId::new("t1")),
        });
        let twice = Shop(
            Ok(vec![Package::new("a", "A"), Package::new("a", "B")]),
            "x",
        );
        let e = ask(&twice, &ask_for).await.unwrap_err();
        assert!(!e.is_retryable());
        assert_eq!(
            e.to_string(),
            "vendor internal error: the vendor's answer cannot be given to the provider: \
             `packages[1].id`: `a` is the id of an earlier package too"
        );
        assert!(matches!(
            ask(&ok_shop(), &ask_for).await.unwrap(),
            VendorReply::Packages { packages } if packages.len() == 2
        ));
    }

    /// A link the provider would show to recruiters or candidates is http
    /// or https, in an acceptance and in a status alike.
    #[tokio::test]
    async fn a_link_that_is_not_http_is_refused_in_an_acceptance_or_a_status() {
        struct Links(&'static str);
        #[async_trait]
        impl Vendor for Links {
            async fn packages(&self, _: &PackagesRequest) -> Result<Vec<Package>, VendorError> {
                Ok(Vec::new())
            }
            async fn order(&self, _: &AssessmentOrder) -> Result<OrderDecision, VendorError> {
                let mut a = Acceptance::new("asm-1");
                a.candidate_url = url::Url::parse(self.0).ok();
                Ok(OrderDecision::Accepted(a))
            }
            async fn cancel(&self, _: &Cancellation) -> Result<(), VendorError> {
                Ok(())
            }
            async fn status(&self, _: &StatusQuery) -> Result<AssessmentResult, VendorError> {
                let mut r = AssessmentResult::with_status(crate::AssessmentStatus::Completed);
                r.report_url = url::Url::parse(self.0).ok();
                Ok(r)
            }
        }
        let order = InboundEvent::OrderReceived(Box::new(AssessmentOrder::sample(
            "a@example.com",
            crate::model::RawJson::null(),
        )));
        let status = InboundEvent::StatusRequested(StatusQuery {
            provider: "stub".into(),
            tenant: None,
            order: crate::OrderRef::vendor("asm-1"),
        });
        for fine in ["https://vendor.example/take/1", "http://localhost:8080/r/1"] {
            assert!(ask(&Links(fine), &order).await.is_ok(), "{fine}");
            assert!(ask(&Links(fine), &status).await.is_ok(), "{fine}");
        }
        for (link, scheme) in [
            ("javascript:alert(document.cookie)", "javascript"),
            ("data:text/html,<script>alert(1)</script>", "data"),
            ("file:///etc/passwd", "file"),
        ] {
            for (event, path) in [(&order, "candidate_url"), (&status, "report_url")] {
                let e = ask(&Links(link), event).await.unwrap_err();
                assert!(!e.is_retryable());
                assert_eq!(
                    e.to_string(),
                    format!(
                        "vendor internal error: the vendor's answer cannot be given to the \
                         provider: `{path}`: a link must be an http or https URL, not `{scheme}:`"
                    )
                );
            }
        }
    }

    #[test]
    fn admission_refuses_what_could_never_be_answered() {
        let order = |email: &str| {
            InboundEvent::OrderReceived(Box::new(AssessmentOrder::sample(
                email,
                crate::model::RawJson::null(),
            )))
        };
        let path = |r: Result<(), Error>| match r {
            Err(Error::Malformed { path, .. }) => path,
            other => panic!("{other:?}"),
        };
        let stub = Stub::default();
        assert!(admit(&stub, &order("maya@example.com")).is_ok());
        // a control character, at its core path
        assert_eq!(
            path(admit(&stub, &order("maya\u{0}@example.com"))),
            "candidate.emails[0].address"
        );
        // more items than accepted
        let InboundEvent::OrderReceived(mut many) = order("a@example.com") else {
            unreachable!()
        };
        many.candidate.emails = vec![many.candidate.emails[0].clone(); crate::codec::MAX_ITEMS + 1];
        assert_eq!(
            path(admit(&stub, &InboundEvent::OrderReceived(many))),
            "candidate.emails"
        );
        // a write-back the adapter would refuse: refused now
        let refusing = |refuse| Stub {
            refuse,
            ..Stub::default()
        };
        assert!(matches!(
            admit(&refusing(Refusal::Url), &order("a@example.com")),
            Err(Error::UntrustedUrl { .. })
        ));
        assert_eq!(
            path(admit(&refusing(Refusal::Id), &order("a@example.com"))),
            "id"
        );
        // a write-back that fails for another reason (a credential the
        // vendor can still add) does not block the order
        assert!(admit(&refusing(Refusal::Config), &order("a@example.com")).is_ok());
        // other events are checked for text only
        let cancel = InboundEvent::OrderCancelled(Cancellation {
            provider: "stub".into(),
            tenant: None,
            order: crate::OrderRef::provider("o\n1"),
            reason: None,
            received_at: chrono::DateTime::UNIX_EPOCH,
            raw: crate::model::RawJson::null(),
        });
        assert_eq!(
            path(admit(&refusing(Refusal::Url), &cancel)),
            "order.provider_order_id"
        );
    }

    #[tokio::test]
    async fn bodies_past_the_limit_are_refused_before_receiving() {
        let stub = Stub::default();
        let at_limit = req("/packages").with_body(vec![b' '; MAX_BODY_BYTES]);
        let h = handle(&stub, &ok_shop(), &at_limit).await;
        assert_eq!(h.response.status, StatusCode::OK);
        let over = req("/packages").with_body(vec![b' '; MAX_BODY_BYTES + 1]);
        let h = handle(&stub, &ok_shop(), &over).await;
        assert_eq!(h.response.status, StatusCode::BAD_REQUEST);
        assert!(h.inbound.is_none());
        assert_eq!(
            h.error.unwrap().to_string(),
            "malformed payload at `.`: the body is 1048577 bytes, more than the 1048576 accepted"
        );
    }

    #[tokio::test]
    async fn a_reply_that_cannot_be_rendered_is_a_500_not_a_panic() {
        let stub = Stub {
            fail_auth: false,
            bad_render: true,
            ..Stub::default()
        };
        let h = handle(&stub, &ok_shop(), &req("/packages")).await;
        assert_eq!(h.response.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(h.reply.is_some());
        assert!(matches!(h.error, Some(Error::Config { .. })));
        assert_eq!(stub.forgotten.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
