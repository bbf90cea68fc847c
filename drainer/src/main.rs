//! The Lambda entry point: settings from the environment, SDK clients, then the runtime loop.

use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use chrono::Utc;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

use drainer::aws::{AutoScaling, EcsCluster, RecheckQueue};
use drainer::handler::Drainer;
use drainer::settings::Settings;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_current_span(false)
        .without_time()
        .init();

    let env = |name: &str| std::env::var(name).ok();
    let settings = match Settings::check_lambda_environment(env).and_then(|()| Settings::from_env(env)) {
        Ok(settings) => settings,
        Err(err) => {
            tracing::error!(error = %err, "cannot start");
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };

    // Every call is bounded, so one slow or throttled answer cannot hold a check past its own
    // timeout (ecs-alb's constructs::drain_timing counts on 2 s per call, retries included).
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(1))
        .operation_timeout(drainer::handler::CALL_TIMEOUT)
        .build();
    let config = aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts).load().await;
    let drainer = Drainer {
        ecs: EcsCluster::new(aws_sdk_ecs::Client::new(&config), settings.cluster.clone()),
        lifecycle: AutoScaling::new(aws_sdk_autoscaling::Client::new(&config)),
        recheck: RecheckQueue::new(
            aws_sdk_sqs::Client::new(&config),
            settings.recheck_queue_url.clone(),
            settings.dead_letter_queue_url.clone(),
        ),
        settings,
    };
    let drainer = &drainer;
    let handler = service_fn(|event: LambdaEvent<Value>| async move {
        let deadline = instant_of(event.context.deadline);
        drainer.handle_event(event.payload, Utc::now(), deadline).await.map_err(|err| {
            tracing::error!(error = %err, "invocation failed");
            lambda_runtime::Error::from(err)
        })
    });
    match lambda_runtime::run(handler).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "runtime stopped");
            ExitCode::FAILURE
        }
    }
}

/// The invocation's deadline (milliseconds since the epoch, from the Runtime API) as an instant.
fn instant_of(deadline_ms: u64) -> Instant {
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
    let left = u128::from(deadline_ms).saturating_sub(now_ms);
    Instant::now() + Duration::from_millis(u64::try_from(left).unwrap_or(0))
}
