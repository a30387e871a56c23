//! Background-check packages stored in StackOne: which StackOne package id
//! belongs to which vendor package ([`PackageIdStore`]), and what a
//! publication has to do ([`plan`]).
//!
//! StackOne keeps background-check packages itself (for ATSs such as
//! Workday that cannot fetch them from the vendor): the vendor creates them
//! with `POST /unified/ats/background_checks/packages`, receives StackOne's
//! id, and must use that id to update (`PATCH …/packages/{id}`) or delete
//! (`DELETE …/packages/{id}`) them. [`crate::StackOne`]'s
//! `publish_packages` keeps the tenant's StackOne packages equal to the
//! vendor's list: packages of kind `background_check` not published yet are
//! created, published ones are updated, and published ones left out of the
//! list are deleted. The store remembers the ids between publications, so
//! publishing the same list twice updates instead of creating duplicates.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;

use ats_core::{Error, Package, PackageKind, TenantId};

use crate::translate::package_body;
use crate::wire::BackgroundCheckPackageBody;

/// Remembers, per tenant, the StackOne id of every published
/// background-check package, keyed by the vendor's package id.
///
/// Calls are synchronous so that [`plan`] (and `prepare`) can show exactly
/// the requests a publication will send. They run inside async code: an
/// implementation backed by a database should answer from memory (a cache
/// loaded at start and written through) rather than block.
pub trait PackageIdStore: Send + Sync + fmt::Debug {
    /// The tenant's published packages: vendor package id → StackOne id.
    fn published(&self, tenant: &TenantId) -> Result<BTreeMap<String, String>, Error>;

    /// Records that `vendor_package_id` is StackOne's `stackone_package_id`.
    fn record(
        &self,
        tenant: &TenantId,
        vendor_package_id: &str,
        stackone_package_id: &str,
    ) -> Result<(), Error>;

    /// Forgets a package (after it was deleted in StackOne).
    fn forget(&self, tenant: &TenantId, vendor_package_id: &str) -> Result<(), Error>;

    /// The vendor's package id for a StackOne package id, where published.
    fn vendor_package_id(
        &self,
        tenant: &TenantId,
        stackone_package_id: &str,
    ) -> Result<Option<String>, Error> {
        Ok(self
            .published(tenant)?
            .into_iter()
            .find(|(_, s)| s == stackone_package_id)
            .map(|(v, _)| v))
    }
}

/// A [`PackageIdStore`] in memory (tests, single-process deployments that
/// republish at start).
#[derive(Debug, Default)]
pub struct InMemoryPackageIds {
    tenants: Mutex<BTreeMap<TenantId, BTreeMap<String, String>>>,
}

impl InMemoryPackageIds {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a mapping (for seeding from a database, or in tests).
    pub fn with(
        self,
        tenant: impl Into<String>,
        vendor_package_id: impl Into<String>,
        stackone_package_id: impl Into<String>,
    ) -> Self {
        self.lock()
            .entry(TenantId::new(tenant))
            .or_default()
            .insert(vendor_package_id.into(), stackone_package_id.into());
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<TenantId, BTreeMap<String, String>>> {
        match self.tenants.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

impl PackageIdStore for InMemoryPackageIds {
    fn published(&self, tenant: &TenantId) -> Result<BTreeMap<String, String>, Error> {
        Ok(self.lock().get(tenant).cloned().unwrap_or_default())
    }

    fn record(
        &self,
        tenant: &TenantId,
        vendor_package_id: &str,
        stackone_package_id: &str,
    ) -> Result<(), Error> {
        self.lock()
            .entry(tenant.clone())
            .or_default()
            .insert(vendor_package_id.to_owned(), stackone_package_id.to_owned());
        Ok(())
    }

    fn forget(&self, tenant: &TenantId, vendor_package_id: &str) -> Result<(), Error> {
        let mut tenants = self.lock();
        if let Some(map) = tenants.get_mut(tenant) {
            map.remove(vendor_package_id);
            if map.is_empty() {
                tenants.remove(tenant);
            }
        }
        Ok(())
    }
}

/// One write of a publication.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// `POST /unified/ats/background_checks/packages`.
    Create {
        /// The vendor's package id (recorded with StackOne's answer).
        vendor_package_id: String,
        /// The body.
        body: BackgroundCheckPackageBody,
    },
    /// `PATCH /unified/ats/background_checks/packages/{id}`.
    Update {
        /// The vendor's package id.
        vendor_package_id: String,
        /// StackOne's package id.
        stackone_package_id: String,
        /// The body (the complete test list).
        body: BackgroundCheckPackageBody,
    },
    /// `DELETE /unified/ats/background_checks/packages/{id}`.
    Delete {
        /// The vendor's package id (forgotten once deleted).
        vendor_package_id: String,
        /// StackOne's package id.
        stackone_package_id: String,
    },
}

/// What publishing `packages` has to do, given what is `published`.
///
/// Only packages of kind [`PackageKind::BackgroundCheck`] are considered:
/// others are served from the packages endpoint. Creates and updates come
/// first, in the order of `packages`; deletes last, in vendor-id order, so
/// the ATS never goes without a package that stays. Two packages with the
/// same id are a [`Error::Config`].
pub fn plan(
    packages: &[Package],
    published: &BTreeMap<String, String>,
) -> Result<Vec<Step>, Error> {
    let mut steps = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for p in packages
        .iter()
        .filter(|p| p.kind == PackageKind::BackgroundCheck)
    {
        if !seen.insert(p.id.as_str()) {
            return Err(Error::config(format!(
                "background-check package `{}` is listed twice",
                p.id
            )));
        }
        steps.push(match published.get(&p.id) {
            Some(stackone_id) => Step::Update {
                vendor_package_id: p.id.clone(),
                stackone_package_id: stackone_id.clone(),
                body: package_body(p, true)?,
            },
            None => Step::Create {
                vendor_package_id: p.id.clone(),
                body: package_body(p, false)?,
            },
        });
    }
    for (vendor_id, stackone_id) in published {
        if !seen.contains(vendor_id.as_str()) {
            steps.push(Step::Delete {
                vendor_package_id: vendor_id.clone(),
                stackone_package_id: stackone_id.clone(),
            });
        }
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bg(id: &str, name: &str) -> Package {
        Package::new(id, name).with_kind(PackageKind::BackgroundCheck)
    }

    #[test]
    fn plans_creates_updates_and_deletes() {
        let published = BTreeMap::from([
            ("bg-a".to_owned(), "bgp_A".to_owned()),
            ("bg-gone".to_owned(), "bgp_G".to_owned()),
        ]);
        let packages = [
            bg("bg-new", "New"),
            Package::new("coding", "Rust"),
            bg("bg-a", "A"),
        ];
        let steps = plan(&packages, &published).unwrap();
        let shape: Vec<String> = steps
            .iter()
            .map(|s| match s {
                Step::Create {
                    vendor_package_id, ..
                } => format!("create {vendor_package_id}"),
                Step::Update {
                    stackone_package_id,
                    ..
                } => format!("update {stackone_package_id}"),
                Step::Delete {
                    stackone_package_id,
                    ..
                } => format!("delete {stackone_package_id}"),
            })
            .collect();
        assert_eq!(shape, ["create bg-new", "update bgp_A", "delete bgp_G"]);
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let e = plan(&[bg("x", "X"), bg("x", "Y")], &BTreeMap::new()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "configuration error: background-check package `x` is listed twice"
        );
    }

    #[test]
    fn store_records_forgets_and_looks_up_both_ways() {
        let store = InMemoryPackageIds::new().with("t1", "bg-a", "bgp_A");
        let t1 = TenantId::new("t1");
        let t2 = TenantId::new("t2");
        store.record(&t1, "bg-b", "bgp_B").unwrap();
        assert_eq!(store.published(&t1).unwrap().len(), 2);
        assert!(store.published(&t2).unwrap().is_empty());
        assert_eq!(
            store.vendor_package_id(&t1, "bgp_B").unwrap().as_deref(),
            Some("bg-b")
        );
        assert_eq!(store.vendor_package_id(&t2, "bgp_B").unwrap(), None);
        store.forget(&t1, "bg-a").unwrap();
        store.forget(&t1, "bg-b").unwrap();
        assert!(store.published(&t1).unwrap().is_empty());
    }
}
