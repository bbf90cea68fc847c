//! Following a stack operation: its events as they happen, a progress bar at a terminal, and the
//! first failure's reason when it goes wrong.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use anyhow::{Result, bail};
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::primitives::DateTime;
use indicatif::{ProgressBar, ProgressStyle};

use crate::sdk;

const POLL: Duration = Duration::from_secs(2);

/// How a stack operation ended.
pub struct Finished {
    pub status: String,
    /// The first resource that failed, and why.
    pub first_failure: Option<String>,
}

impl Finished {
    pub fn succeeded(&self) -> bool {
        matches!(self.status.as_str(), "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "DELETE_COMPLETE" | "IMPORT_COMPLETE")
    }
}

/// Prints the stack's events from `since` on until its status settles; `resources` sizes the bar.
pub async fn follow(cf: &Client, stack: &str, since: SystemTime, resources: u64) -> Result<Finished> {
    let bar = ProgressBar::new(resources);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos}/{len} resources {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let since = DateTime::from(since);
    let mut seen: HashSet<String> = HashSet::new();
    let mut first_failure = None;
    loop {
        let mut new_events = Vec::new();
        let mut pages = cf.describe_stack_events().stack_name(stack).into_paginator().send();
        'pages: while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                // A deleted stack can no longer be described: it is gone.
                Err(e) if e.message().is_some_and(|m| m.contains("does not exist")) => {
                    bar.finish_and_clear();
                    return Ok(Finished { status: "DELETE_COMPLETE".into(), first_failure });
                }
                Err(e) => return Err(sdk(e)),
            };
            for event in page.stack_events() {
                if event.timestamp().is_some_and(|t| t.secs() < since.secs()) {
                    break 'pages;
                }
                let id = event.event_id().unwrap_or_default().to_owned();
                if seen.insert(id) {
                    new_events.push(event.clone());
                }
            }
        }
        // Newest first from the API: print oldest first.
        for event in new_events.iter().rev() {
            let status = event.resource_status().map(|s| s.as_str()).unwrap_or_default();
            let logical = event.logical_resource_id().unwrap_or_default();
            let reason = event.resource_status_reason().unwrap_or_default();
            let line = format!("{status:<20} {logical} {} {reason}", event.resource_type().unwrap_or_default());
            if bar.is_hidden() {
                eprintln!("{}", line.trim_end())
            } else {
                bar.println(line.trim_end())
            }
            if status.ends_with("_FAILED") && first_failure.is_none() && !reason.contains("cancelled") {
                first_failure = Some(format!("{logical}: {reason}"));
            }
            if status.ends_with("_COMPLETE") && logical != stack {
                bar.inc(1);
            }
        }
        let status = crate::stack::status(cf, stack).await?;
        let Some(status) = status else {
            bar.finish_and_clear();
            return Ok(Finished { status: "DELETE_COMPLETE".into(), first_failure });
        };
        bar.set_message(status.clone());
        if !status.ends_with("_IN_PROGRESS") {
            bar.finish_and_clear();
            return Ok(Finished { status, first_failure });
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Turns a failed operation into an error that names the first resource that failed.
pub fn check(finished: Finished, what: &str) -> Result<String> {
    if finished.succeeded() {
        return Ok(finished.status);
    }
    match finished.first_failure {
        Some(failure) => bail!("{what} ended in {}; the first failure: {failure}", finished.status),
        None => bail!("{what} ended in {}", finished.status),
    }
}
