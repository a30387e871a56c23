//! SmartRecruiters' wire format (Assessment API 2021, `v202010`), field
//! names as the provider writes them. No logic.
//!
//! What is confirmed and what is not is listed per field in
//! `docs/providers/smartrecruiters.md`: the endpoint paths and methods come
//! from SmartRecruiters' published partner specifications; the body fields
//! of the order and of the result write are **unconfirmed** (the reference
//! pages that define them could not be read). Every field the provider may
//! omit is an `Option`; unknown fields are ignored.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `POST /packages/orders`: SmartRecruiters orders a package for a
/// candidate. **Unconfirmed** body shape (see the provider page).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRequest {
    /// SmartRecruiters' id of the order; the path parameter `orderId` of
    /// the result write.
    #[serde(default, alias = "id")]
    pub order_id: Option<String>,
    /// The ordered package (the vendor's id, from `GET /packages`).
    #[serde(default, alias = "assessmentPackageId")]
    pub package_id: Option<String>,
    /// The customer's SmartRecruiters company id.
    #[serde(default)]
    pub company_id: Option<String>,
    /// The candidate.
    #[serde(default)]
    pub candidate: Option<OrderCandidate>,
    /// The job the candidate applied to.
    #[serde(default)]
    pub job: Option<OrderJob>,
    /// The recruiter who ordered.
    #[serde(default)]
    pub requester: Option<Requester>,
}

/// The candidate of an order (names as in SmartRecruiters' Candidate API).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCandidate {
    /// Candidate id (the Customer API's `GET /candidates/{id}`).
    #[serde(default)]
    pub id: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone number.
    #[serde(default)]
    pub phone_number: Option<String>,
}

/// The job of an order (names as in SmartRecruiters' Job API).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderJob {
    /// Job id (the Customer API's `GET /jobs/{jobId}`).
    #[serde(default)]
    pub id: Option<String>,
    /// Job title.
    #[serde(default)]
    pub title: Option<String>,
}

/// The recruiter requesting packages or placing an order.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Requester {
    /// User id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The vendor's answer to an order. **Unconfirmed** shape.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderResponse {
    /// The vendor's id for the assessment.
    pub partner_order_id: String,
    /// Where the candidate takes the assessment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assessment_url: Option<String>,
}

/// One entry of the `GET /packages` answer. **Unconfirmed** shape.
#[derive(Debug, Clone, Serialize)]
pub struct PackageEntry {
    /// The vendor's package id (the path parameter `assessmentPackageId`).
    pub id: String,
    /// Name shown to recruiters.
    pub name: String,
    /// Description shown to recruiters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The `GET /packages` answer, in the `ListResult` shape of SmartRecruiters'
/// other list endpoints (`totalFound`, `content`). **Unconfirmed**.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageList {
    /// How many packages follow.
    pub total_found: usize,
    /// The packages.
    pub content: Vec<PackageEntry>,
}

/// `PATCH /orders/{orderId}/results`: the result and status write-back.
/// **Unconfirmed** body: field names follow SmartRecruiters' documented
/// `AssessmentResult` object (title, description, passed, score) plus a
/// `status`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ResultUpdate {
    /// The order's status (see the mapping table in `translate`).
    pub status: String,
    /// Title of the result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Free-text description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether the candidate passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
    /// Free-text score (`"98/100"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<String>,
    /// Where the full result is shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_url: Option<String>,
}

/// The token endpoint's answer (RFC 6749 §5.1).
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    /// The access token.
    #[serde(default)]
    pub access_token: Option<String>,
    /// `Bearer`.
    #[serde(default)]
    pub token_type: Option<String>,
    /// Lifetime in seconds.
    #[serde(default)]
    pub expires_in: Option<u64>,
}

/// The error body the adapter answers with (SmartRecruiters' own error
/// shape for partner endpoints is unconfirmed).
#[derive(Debug, Clone, Serialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub message: String,
}

/// Anything the provider sends that the adapter keeps as it came.
pub type Raw = Map<String, Value>;
