//! The adapters the `ats` command knows: the workspace's one list of
//! registrations ([`ats_server::registrations`], one line per adapter).

use ats_core::registry::Registration;
use ats_core::{AtsProvider, Error};

/// Every registered adapter, in the order `ats providers` lists them: the
/// workspace's one list, [`ats_server::registrations`].
pub fn registrations() -> Vec<Registration> {
    ats_server::registrations()
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
