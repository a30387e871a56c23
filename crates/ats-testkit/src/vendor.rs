//! Vendors for tests and demos: [`MemoryVendor`], a small but complete
//! in-memory vendor, and [`ScriptedVendor`], which answers with a fixed reply.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use ats_core::{
    Acceptance, AssessmentOrder, AssessmentResult, AssessmentStatus, Cancellation, ErrorReport,
    OrderDecision, OrderHandle, Package, PackagesRequest, RejectReason, Rejection, StatusQuery,
    Vendor, VendorError, VendorReply,
};

/// One assessment the [`MemoryVendor`] created.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredAssessment {
    /// The vendor's assessment id.
    pub id: String,
    /// The order as received.
    pub order: AssessmentOrder,
    /// What is needed to write back.
    pub handle: OrderHandle,
    /// Current status and result.
    pub result: AssessmentResult,
}

#[derive(Debug, Default)]
struct State {
    next: u64,
    assessments: BTreeMap<String, StoredAssessment>,
    reports: Vec<ErrorReport>,
}

/// An in-memory vendor: a package catalogue, and the assessments it creates.
///
/// * Orders for unknown packages are rejected (`unknown_package`), orders
///   without an e-mail address too (`invalid_candidate`).
/// * A repeated order (same provider, tenant and provider order id, or, when
///   the provider has no order id, same package, application and e-mail) is
///   answered with the first acceptance: deliveries are idempotent.
/// * Assessment ids are `asm_0001`, `asm_0002`… in arrival order.
#[derive(Debug, Default)]
pub struct MemoryVendor {
    packages: Vec<Package>,
    state: Mutex<State>,
}

impl MemoryVendor {
    /// A vendor offering these packages to every tenant.
    pub fn new(packages: Vec<Package>) -> Self {
        Self {
            packages,
            state: Mutex::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Every assessment, by id.
    pub fn assessments(&self) -> Vec<StoredAssessment> {
        self.state().assessments.values().cloned().collect()
    }

    /// One assessment.
    pub fn assessment(&self, id: &str) -> Option<StoredAssessment> {
        self.state().assessments.get(id).cloned()
    }

    /// Records a new status or result for an assessment; returns the handle
    /// to submit it with.
    pub fn set_result(
        &self,
        id: &str,
        result: AssessmentResult,
    ) -> Result<OrderHandle, VendorError> {
        let mut state = self.state();
        let a = state
            .assessments
            .get_mut(id)
            .ok_or_else(|| VendorError::UnknownOrder { id: id.to_owned() })?;
        a.result = result;
        Ok(a.handle.clone())
    }

    /// The error reports received.
    pub fn error_reports(&self) -> Vec<ErrorReport> {
        self.state().reports.clone()
    }

    fn find(&self, state: &State, order: &ats_core::OrderRef) -> Option<String> {
        if let Some(id) = &order.vendor_assessment_id
            && state.assessments.contains_key(id)
        {
            return Some(id.clone());
        }
        let provider_id = order.provider_order_id.as_ref()?;
        state
            .assessments
            .values()
            .find(|a| a.order.provider_order_id.as_ref() == Some(provider_id))
            .map(|a| a.id.clone())
    }
}

fn same_order(a: &AssessmentOrder, b: &AssessmentOrder) -> bool {
    if a.provider != b.provider || a.tenant != b.tenant {
        return false;
    }
    match (&a.provider_order_id, &b.provider_order_id) {
        (Some(x), Some(y)) => x == y,
        _ => {
            a.package_id == b.package_id
                && a.candidate.primary_email() == b.candidate.primary_email()
                && a.application.as_ref().and_then(|x| x.id.as_ref())
                    == b.application.as_ref().and_then(|x| x.id.as_ref())
        }
    }
}

#[async_trait]
impl Vendor for MemoryVendor {
    async fn packages(&self, _request: &PackagesRequest) -> Result<Vec<Package>, VendorError> {
        Ok(self.packages.clone())
    }

    async fn order(&self, order: &AssessmentOrder) -> Result<OrderDecision, VendorError> {
        let Some(package) = self.packages.iter().find(|p| p.id == order.package_id) else {
            return Ok(OrderDecision::Rejected(Rejection::new(
                RejectReason::UnknownPackage,
                format!(
                    "Package `{}` is not available for this account.",
                    order.package_id
                ),
            )));
        };
        if order.candidate.primary_email().is_none() {
            return Ok(OrderDecision::Rejected(Rejection::new(
                RejectReason::InvalidCandidate,
                "The candidate has no e-mail address to send the assessment to.",
            )));
        }
        let mut state = self.state();
        if let Some(existing) = state
            .assessments
            .values()
            .find(|a| same_order(&a.order, order))
        {
            return Ok(OrderDecision::Accepted(Acceptance::new(
                existing.id.clone(),
            )));
        }
        state.next += 1;
        let id = format!("asm_{:04}", state.next);
        let mut result = AssessmentResult::with_status(AssessmentStatus::Invited);
        result.summary = Some(format!("Invited to {}", package.name));
        state.assessments.insert(
            id.clone(),
            StoredAssessment {
                id: id.clone(),
                handle: order.handle(Some(&id)),
                order: order.clone(),
                result,
            },
        );
        Ok(OrderDecision::Accepted(Acceptance::new(id)))
    }

    async fn cancel(&self, cancellation: &Cancellation) -> Result<(), VendorError> {
        let mut state = self.state();
        let id =
            self.find(&state, &cancellation.order)
                .ok_or_else(|| VendorError::UnknownOrder {
                    id: cancellation.order.display_id().to_owned(),
                })?;
        if let Some(a) = state.assessments.get_mut(&id)
            && !a.result.status.is_final()
        {
            a.result = AssessmentResult::with_status(AssessmentStatus::Cancelled);
            a.result.status_reason = cancellation.reason.clone();
        }
        Ok(())
    }

    async fn status(&self, query: &StatusQuery) -> Result<AssessmentResult, VendorError> {
        let state = self.state();
        let id = self
            .find(&state, &query.order)
            .ok_or_else(|| VendorError::UnknownOrder {
                id: query.order.display_id().to_owned(),
            })?;
        state
            .assessments
            .get(&id)
            .map(|a| a.result.clone())
            .ok_or(VendorError::UnknownOrder { id })
    }

    async fn error_reported(&self, report: &ErrorReport) -> Result<(), VendorError> {
        self.state().reports.push(report.clone());
        Ok(())
    }
}

/// A vendor that answers every event with one fixed [`VendorReply`] (the
/// `reply` of a fixture), so an adapter's rendering can be tested end to end.
#[derive(Debug, Clone)]
pub struct ScriptedVendor {
    reply: VendorReply,
}

impl ScriptedVendor {
    /// A vendor that always answers `reply`.
    pub fn new(reply: VendorReply) -> Self {
        Self { reply }
    }

    fn mismatch(&self, wanted: &str) -> VendorError {
        VendorError::Internal {
            message: format!(
                "scripted reply is `{}`, the event needs {wanted}",
                self.reply.kind()
            ),
        }
    }
}

#[async_trait]
impl Vendor for ScriptedVendor {
    async fn packages(&self, _: &PackagesRequest) -> Result<Vec<Package>, VendorError> {
        match &self.reply {
            VendorReply::Packages { packages } => Ok(packages.clone()),
            _ => Err(self.mismatch("packages")),
        }
    }

    async fn order(&self, _: &AssessmentOrder) -> Result<OrderDecision, VendorError> {
        match &self.reply {
            VendorReply::Accepted(a) => Ok(OrderDecision::Accepted(a.clone())),
            VendorReply::Rejected(r) => Ok(OrderDecision::Rejected(r.clone())),
            _ => Err(self.mismatch("a decision")),
        }
    }

    async fn cancel(&self, _: &Cancellation) -> Result<(), VendorError> {
        match &self.reply {
            VendorReply::Acknowledged => Ok(()),
            _ => Err(self.mismatch("an acknowledgement")),
        }
    }

    async fn status(&self, _: &StatusQuery) -> Result<AssessmentResult, VendorError> {
        match &self.reply {
            VendorReply::Status(r) => Ok((**r).clone()),
            _ => Err(self.mismatch("a status")),
        }
    }

    async fn error_reported(&self, _: &ErrorReport) -> Result<(), VendorError> {
        match &self.reply {
            VendorReply::Acknowledged => Ok(()),
            _ => Err(self.mismatch("an acknowledgement")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::{Candidate, Email, OrderRef, TenantId};
    use serde_json::Map;

    fn order(
        provider_order_id: Option<&str>,
        package: &str,
        email: Option<&str>,
    ) -> AssessmentOrder {
        AssessmentOrder {
            provider: "p".into(),
            tenant: Some(TenantId::new("t")),
            provider_order_id: provider_order_id.map(Into::into),
            package_id: package.into(),
            package: None,
            candidate: Candidate {
                emails: email
                    .map(|e| Email {
                        address: e.into(),
                        kind: None,
                    })
                    .into_iter()
                    .collect(),
                ..Candidate::default()
            },
            application: None,
            job: None,
            requested_by: None,
            callback_url: None,
            received_at: chrono::DateTime::UNIX_EPOCH,
            context: Map::new(),
            extras: Map::new(),
            raw: ats_core::RawJson::null(),
        }
    }

    fn vendor() -> MemoryVendor {
        MemoryVendor::new(vec![Package::new("rust", "Rust")])
    }

    #[tokio::test]
    async fn accepts_rejects_and_dedupes() {
        let v = vendor();
        let a = v
            .order(&order(Some("o1"), "rust", Some("a@example.com")))
            .await
            .unwrap();
        assert_eq!(a, OrderDecision::Accepted(Acceptance::new("asm_0001")));
        let again = v
            .order(&order(Some("o1"), "rust", Some("a@example.com")))
            .await
            .unwrap();
        assert_eq!(again, a);
        let other = v
            .order(&order(Some("o2"), "rust", Some("a@example.com")))
            .await
            .unwrap();
        assert_eq!(other, OrderDecision::Accepted(Acceptance::new("asm_0002")));
        let OrderDecision::Rejected(r) = v
            .order(&order(None, "go", Some("a@example.com")))
            .await
            .unwrap()
        else {
            panic!("expected rejection")
        };
        assert_eq!(r.reason, RejectReason::UnknownPackage);
        let OrderDecision::Rejected(r) = v.order(&order(None, "rust", None)).await.unwrap() else {
            panic!("expected rejection")
        };
        assert_eq!(r.reason, RejectReason::InvalidCandidate);
    }

    #[tokio::test]
    async fn status_and_cancel_by_either_id() {
        let v = vendor();
        v.order(&order(Some("o1"), "rust", Some("a@example.com")))
            .await
            .unwrap();
        let q = |order| StatusQuery {
            provider: "p".into(),
            tenant: None,
            order,
        };
        let s = v.status(&q(OrderRef::vendor("asm_0001"))).await.unwrap();
        assert_eq!(s.status, AssessmentStatus::Invited);
        v.cancel(&Cancellation {
            provider: "p".into(),
            tenant: None,
            order: OrderRef::provider("o1"),
            reason: Some("withdrawn".into()),
            received_at: chrono::DateTime::UNIX_EPOCH,
            raw: ats_core::RawJson::null(),
        })
        .await
        .unwrap();
        let s = v.status(&q(OrderRef::provider("o1"))).await.unwrap();
        assert_eq!(s.status, AssessmentStatus::Cancelled);
        assert_eq!(s.status_reason.as_deref(), Some("withdrawn"));
        assert!(matches!(
            v.status(&q(OrderRef::vendor("nope"))).await,
            Err(VendorError::UnknownOrder { .. })
        ));
    }

    #[tokio::test]
    async fn set_result_returns_the_handle() {
        let v = vendor();
        v.order(&order(Some("o1"), "rust", Some("a@example.com")))
            .await
            .unwrap();
        let h = v
            .set_result(
                "asm_0001",
                AssessmentResult::with_status(AssessmentStatus::Completed),
            )
            .unwrap();
        assert_eq!(h.vendor_assessment_id.as_deref(), Some("asm_0001"));
        assert_eq!(h.provider_order_id.as_deref(), Some("o1"));
        assert!(
            v.set_result(
                "x",
                AssessmentResult::with_status(AssessmentStatus::Completed)
            )
            .is_err()
        );
    }
}
