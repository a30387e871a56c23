//! What a provider can ask of a vendor ([`InboundEvent`]) and what the vendor
//! answers ([`VendorReply`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::model::{AssessmentOrder, AssessmentResult, Package, RawJson, TenantId};

/// Identifies an order in a cancellation or a status query.
///
/// Providers refer to an order either by their own id or by the id the vendor
/// returned when accepting it; an adapter fills in whichever it received.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRef {
    /// The provider's order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_order_id: Option<String>,
    /// The vendor's assessment id (from [`Acceptance::vendor_assessment_id`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_assessment_id: Option<String>,
}

impl OrderRef {
    /// A reference by the vendor's assessment id.
    pub fn vendor(id: impl Into<String>) -> Self {
        Self {
            provider_order_id: None,
            vendor_assessment_id: Some(id.into()),
        }
    }

    /// A reference by the provider's order id.
    pub fn provider(id: impl Into<String>) -> Self {
        Self {
            provider_order_id: Some(id.into()),
            vendor_assessment_id: None,
        }
    }

    /// The most specific id known, for messages: the vendor's, else the provider's.
    pub fn display_id(&self) -> &str {
        self.vendor_assessment_id
            .as_deref()
            .or(self.provider_order_id.as_deref())
            .unwrap_or("<unknown>")
    }
}

/// The provider asks which packages the vendor offers this tenant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PackagesRequest {
    /// The adapter's name.
    pub provider: String,
    /// The customer connection, once authenticated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<TenantId>,
}

/// The provider cancels an order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cancellation {
    /// The adapter's name.
    pub provider: String,
    /// The customer connection, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<TenantId>,
    /// Which order.
    pub order: OrderRef,
    /// Why, where the provider says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the cancellation arrived.
    pub received_at: DateTime<Utc>,
    /// The provider's payload, untouched.
    pub raw: RawJson,
}

/// The provider asks where an assessment stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusQuery {
    /// The adapter's name.
    pub provider: String,
    /// The customer connection, once authenticated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<TenantId>,
    /// Which order.
    pub order: OrderRef,
}

/// The provider reports that an earlier answer of the vendor's was invalid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorReport {
    /// The adapter's name.
    pub provider: String,
    /// The customer connection, once authenticated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<TenantId>,
    /// The provider's name for the call whose answer was rejected.
    pub operation: String,
    /// What was wrong, in the provider's words.
    pub errors: Vec<String>,
    /// The order concerned, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderRef>,
    /// The package concerned, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_id: Option<String>,
    /// The package's name as the provider knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_name: Option<String>,
    /// The candidate's e-mail, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_email: Option<String>,
    /// The provider's payload, untouched.
    pub raw: RawJson,
}

/// A well-formed, authenticated delivery the vendor has nothing to do for
/// (a test ping, an event type it does not act on, a stage that triggers no
/// assessment). The adapter acknowledges it so the provider does not retry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ignored {
    /// The adapter's name.
    pub provider: String,
    /// The customer connection, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<TenantId>,
    /// The provider's event or call name.
    pub event_type: String,
    /// Why nothing is to be done.
    pub reason: String,
}

/// Something a provider asks of the vendor, translated into the core model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum InboundEvent {
    /// Which packages can this tenant order?
    PackagesRequested(PackagesRequest),
    /// Assess this candidate.
    OrderReceived(Box<AssessmentOrder>),
    /// Stop this assessment.
    OrderCancelled(Cancellation),
    /// Where does this assessment stand?
    StatusRequested(StatusQuery),
    /// An earlier answer was rejected by the provider.
    ErrorReported(ErrorReport),
    /// Nothing to do; acknowledge.
    Ignored(Ignored),
}

impl InboundEvent {
    /// The tenant the event belongs to, where known.
    pub fn tenant(&self) -> Option<&TenantId> {
        match self {
            Self::PackagesRequested(e) => e.tenant.as_ref(),
            Self::OrderReceived(e) => e.tenant.as_ref(),
            Self::OrderCancelled(e) => e.tenant.as_ref(),
            Self::StatusRequested(e) => e.tenant.as_ref(),
            Self::ErrorReported(e) => e.tenant.as_ref(),
            Self::Ignored(e) => e.tenant.as_ref(),
        }
    }

    /// Sets the tenant, once the request's credential has identified it.
    pub fn set_tenant(&mut self, tenant: TenantId) {
        let slot = match self {
            Self::PackagesRequested(e) => &mut e.tenant,
            Self::OrderReceived(e) => &mut e.tenant,
            Self::OrderCancelled(e) => &mut e.tenant,
            Self::StatusRequested(e) => &mut e.tenant,
            Self::ErrorReported(e) => &mut e.tenant,
            Self::Ignored(e) => &mut e.tenant,
        };
        *slot = Some(tenant);
    }

    /// The snake_case name of the variant, for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::PackagesRequested(_) => "packages_requested",
            Self::OrderReceived(_) => "order_received",
            Self::OrderCancelled(_) => "order_cancelled",
            Self::StatusRequested(_) => "status_requested",
            Self::ErrorReported(_) => "error_reported",
            Self::Ignored(_) => "ignored",
        }
    }
}

/// An authenticated inbound call: which provider operation it was and what
/// it asks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Inbound {
    /// The provider's own name for the call or event (`send_test`,
    /// `assessment.start`, `assessment:order-received`…).
    pub operation: String,
    /// What it asks.
    pub event: InboundEvent,
}

/// The vendor accepted an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acceptance {
    /// The vendor's id for the assessment it created. Providers that let the
    /// vendor mint the id use it in every later call about this order.
    pub vendor_assessment_id: String,
    /// The link the candidate uses to take the assessment, where the provider
    /// can show it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_url: Option<Url>,
}

impl Acceptance {
    /// An acceptance with the vendor's assessment id.
    pub fn new(vendor_assessment_id: impl Into<String>) -> Self {
        Self {
            vendor_assessment_id: vendor_assessment_id.into(),
            candidate_url: None,
        }
    }
}

/// Why the vendor refuses an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The package does not exist for this tenant.
    UnknownPackage,
    /// This candidate is already being assessed with this package.
    AlreadyAssessed,
    /// The order lacks something the assessment needs (an e-mail address…).
    InvalidCandidate,
    /// The customer's plan or quota does not allow it.
    QuotaExceeded,
    /// Anything else.
    Other,
}

/// The vendor refuses an order, with a message a recruiter can read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// Why, as a category adapters can map to provider status codes.
    pub reason: RejectReason,
    /// Shown to the recruiter in the ATS where the provider supports it.
    pub message: String,
}

impl Rejection {
    /// A rejection with a reason and a recruiter-readable message.
    pub fn new(reason: RejectReason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
        }
    }
}

/// The vendor's decision on an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum OrderDecision {
    /// Go ahead.
    Accepted(Acceptance),
    /// Refused.
    Rejected(Rejection),
}

/// The vendor's answer to an [`InboundEvent`], which the adapter renders as
/// the provider's exact HTTP response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum VendorReply {
    /// The packages on offer (answers [`InboundEvent::PackagesRequested`]).
    Packages {
        /// The packages.
        packages: Vec<Package>,
    },
    /// The order is accepted (answers [`InboundEvent::OrderReceived`]).
    Accepted(Acceptance),
    /// The order is refused (answers [`InboundEvent::OrderReceived`]).
    Rejected(Rejection),
    /// Where the assessment stands (answers [`InboundEvent::StatusRequested`]).
    Status(Box<AssessmentResult>),
    /// Done; nothing to report (cancellations, error reports, ignored events).
    Acknowledged,
}

impl From<OrderDecision> for VendorReply {
    fn from(decision: OrderDecision) -> Self {
        match decision {
            OrderDecision::Accepted(a) => Self::Accepted(a),
            OrderDecision::Rejected(r) => Self::Rejected(r),
        }
    }
}

impl VendorReply {
    /// The snake_case name of the variant, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Packages { .. } => "packages",
            Self::Accepted(_) => "accepted",
            Self::Rejected(_) => "rejected",
            Self::Status(_) => "status",
            Self::Acknowledged => "acknowledged",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replies_are_tagged_by_type() {
        let r: VendorReply = serde_json::from_value(json!({
            "type": "accepted", "vendor_assessment_id": "a-1"
        }))
        .unwrap();
        assert_eq!(r, VendorReply::Accepted(Acceptance::new("a-1")));
        let s: VendorReply = serde_json::from_value(json!({
            "type": "status", "status": "completed"
        }))
        .unwrap();
        assert!(matches!(s, VendorReply::Status(ref r) if r.status.is_final()));
        assert_eq!(
            serde_json::to_value(VendorReply::Acknowledged).unwrap(),
            json!({"type": "acknowledged"})
        );
    }

    #[test]
    fn set_tenant_reaches_every_variant() {
        let mut e = InboundEvent::StatusRequested(StatusQuery {
            provider: "p".into(),
            tenant: None,
            order: OrderRef::vendor("x"),
        });
        e.set_tenant(TenantId::new("acme"));
        assert_eq!(e.tenant().map(TenantId::as_str), Some("acme"));
        assert_eq!(e.kind(), "status_requested");
    }

    #[test]
    fn order_ref_display_prefers_vendor_id() {
        let r = OrderRef {
            provider_order_id: Some("p".into()),
            vendor_assessment_id: Some("v".into()),
        };
        assert_eq!(r.display_id(), "v");
        assert_eq!(OrderRef::default().display_id(), "<unknown>");
    }
}
