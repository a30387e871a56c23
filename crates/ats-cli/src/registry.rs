//! The adapters the `ats` command knows, built with default configuration
//! (no credentials: translation and rendering need none).

use ats_core::{AtsProvider, Error};

/// Every adapter, in the order `ats providers` lists them.
pub fn adapters() -> Result<Vec<Box<dyn AtsProvider>>, Error> {
    let adapters: Vec<Box<dyn AtsProvider>> = vec![
        Box::new(ats_greenhouse::Greenhouse::builder().build()?),
        Box::new(ats_ashby::Ashby::builder().build()?),
        Box::new(ats_lever::Lever::builder().build()?),
        Box::new(ats_workable::Workable::builder().build()?),
        Box::new(ats_kombo::Kombo::builder().build()?),
        Box::new(ats_stackone::StackOne::builder().build()?),
        Box::new(ats_knit::Knit::builder().build()?),
    ];
    Ok(adapters)
}

/// The adapter called `name`.
pub fn adapter(name: &str) -> Result<Box<dyn AtsProvider>, String> {
    let all = adapters().map_err(|e| e.to_string())?;
    let names: Vec<&'static str> = all.iter().map(|a| a.name()).collect();
    all.into_iter()
        .find(|a| a.name() == name)
        .ok_or_else(|| format!("unknown provider `{name}`; known: {}", names.join(", ")))
}
