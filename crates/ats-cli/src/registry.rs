//! The adapters the `ats` command knows: one line per adapter, each crate's
//! own [`Registration`].

use ats_core::registry::Registration;
use ats_core::{AtsProvider, Error};

/// Every registered adapter, in the order `ats providers` lists them.
pub fn registrations() -> Vec<Registration> {
    vec![
        ats_greenhouse::registration(),
        ats_ashby::registration(),
        ats_lever::registration(),
        ats_workable::registration(),
        ats_kombo::registration(),
        ats_stackone::registration(),
        ats_knit::registration(),
        ats_recruitee::registration(),
        ats_teamtailor::registration(),
        ats_smartrecruiters::registration(),
        ats_hibob::registration(),
    ]
}

/// Every adapter, built for translation only (no credentials: translating
/// and rendering need none).
pub fn adapters() -> Result<Vec<Box<dyn AtsProvider>>, Error> {
    registrations()
        .iter()
        .map(|r| (r.translation_only)())
        .collect()
}

/// The registration called `name`.
pub fn registration(name: &str) -> Result<Registration, String> {
    let all = registrations();
    let names: Vec<&'static str> = all.iter().map(|r| r.name).collect();
    all.into_iter()
        .find(|r| r.name == name)
        .ok_or_else(|| format!("unknown provider `{name}`; known: {}", names.join(", ")))
}

/// The adapter called `name`, built for translation only.
pub fn adapter(name: &str) -> Result<Box<dyn AtsProvider>, String> {
    (registration(name)?.translation_only)().map_err(|e| e.to_string())
}
