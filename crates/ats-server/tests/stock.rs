//! The shipped adapters come from one list of registrations: every one is
//! served, built on the store in the list's order, and the options and
//! settings each takes are what its registration declares.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use ats_core::Secret;
use ats_server::{ProviderSettings, StockOptions, registrations, stock_adapters_with, stock_names};
use common::*;

#[tokio::test]
async fn every_registered_adapter_is_served_and_built_in_order() {
    let store = sqlite_store().await;
    let names: Vec<&str> = registrations().iter().map(|r| r.name).collect();
    assert_eq!(stock_names(), names, "an adapter registered but not served");
    let built = stock_adapters_with(
        &store,
        &ProviderSettings::default(),
        "test-1",
        &StockOptions::default(),
    )
    .await
    .unwrap();
    let built_names: Vec<&str> = built.adapters.iter().map(|a| a.name()).collect();
    assert_eq!(built_names, names);
    assert!(built.lever.is_some() && built.lever_connections.is_some());
}

#[tokio::test]
async fn settings_reach_the_adapter_and_options_are_checked_against_registrations() {
    let store = sqlite_store().await;
    // a configured account-wide secret silences the adapter's start-up warning
    let only = |name: &str| StockOptions {
        only: Some(vec![name.to_owned()]),
        ..StockOptions::default()
    };
    let bare = stock_adapters_with(&store, &ProviderSettings::default(), "t", &only("knit"))
        .await
        .unwrap();
    assert_eq!(bare.adapters.len(), 1);
    assert_eq!(bare.adapters[0].missing_configuration().len(), 1);
    let settings = ProviderSettings::default().with("knit", "api_key", Secret::new("knit-key"));
    let configured = stock_adapters_with(&store, &settings, "t", &only("knit"))
        .await
        .unwrap();
    assert!(
        configured.adapters[0].missing_configuration().is_empty(),
        "{:?}",
        configured.adapters[0].missing_configuration()
    );

    let store = &store;
    let refused = |options: StockOptions| async move {
        stock_adapters_with(store, &ProviderSettings::default(), "t", &options)
            .await
            .unwrap_err()
            .to_string()
    };
    let e = refused(only("taleo")).await;
    assert!(e.contains("unknown provider `taleo`"), "{e}");
    let e = refused(StockOptions {
        base_urls: BTreeMap::from([("greenhouse".to_owned(), "http://127.0.0.1:9".to_owned())]),
        ..StockOptions::default()
    })
    .await;
    assert!(e.contains("provider `greenhouse` takes no base URL"), "{e}");
}
