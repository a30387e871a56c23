//! Every registered adapter refuses to give its provider a link a recruiter
//! or a candidate could not safely open: the result its demo writes back,
//! with a `javascript:` or `data:` link in each place a result has one, is
//! refused by `prepare` and by `submit_result` before anything is sent.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use ats_core::{AttachmentSource, ErrorKind, OutboundCall};
use ats_testkit::FixtureFile;

#[tokio::test]
async fn no_adapter_sends_a_link_that_is_not_http() {
    let dir = ats_testkit::fixtures_dir();
    // nothing listens there: a request that got out would fail differently
    let server = "http://127.0.0.1:9";
    let mut checked = Vec::new();
    for r in ats_server::registrations() {
        let Some(demo) = r.demo else { continue };
        let adapter = (r.recorded)(server).unwrap();
        let fixture = FixtureFile::read(dir.join(r.name).join(demo.result))
            .unwrap()
            .parse(server)
            .unwrap();
        let Some(OutboundCall::SubmitResult { order, result }) = fixture.call else {
            panic!("{}: the demo result is a submit_result", r.name)
        };
        for (link, scheme) in [
            ("javascript:alert(document.cookie)", "javascript"),
            ("data:text/html,<b>x</b>", "data"),
        ] {
            let url = url::Url::parse(link).unwrap();
            let mut attached = (*result).clone();
            attached.attachments.push(ats_core::Attachment {
                name: "report.html".into(),
                content_type: None,
                source: AttachmentSource::Url { url: url.clone() },
            });
            let mut reported = (*result).clone();
            reported.report_url = Some(url.clone());
            let mut candidate = (*result).clone();
            candidate.candidate_url = Some(url.clone());
            let mut profile = (*result).clone();
            profile.candidate_profile_url = Some(url);
            let at = format!("attachments[{}].url", result.attachments.len());
            for (bad, path) in [
                (reported, "report_url"),
                (candidate, "candidate_url"),
                (profile, "candidate_profile_url"),
                (attached, at.as_str()),
            ] {
                let want = format!(
                    "malformed payload at `{path}`: a link must be an http or https URL, not `{scheme}:`"
                );
                let call = OutboundCall::SubmitResult {
                    order: order.clone(),
                    result: Box::new(bad.clone()),
                };
                let e = adapter.prepare(&call).unwrap_err();
                assert_eq!(e.kind(), ErrorKind::Malformed, "{}: {e}", r.name);
                assert_eq!(e.to_string(), want, "{}", r.name);
                let sent = tokio::time::timeout(
                    Duration::from_secs(5),
                    adapter.submit_result(&order, &bad),
                )
                .await
                .expect("refused before any request");
                assert_eq!(sent.unwrap_err().to_string(), want, "{}", r.name);
            }
        }
        checked.push(r.name);
    }
    assert_eq!(
        checked,
        ats_server::registrations()
            .iter()
            .filter(|r| r.demo.is_some())
            .map(|r| r.name)
            .collect::<Vec<_>>()
    );
    assert!(checked.len() >= 11, "{checked:?}");
}
