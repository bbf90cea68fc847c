//! A local Lambda Runtime API (the endpoints a `provided.al2023` function polls), so a built
//! `bootstrap` can be run as Lambda runs it: it asks for the next event, then posts a response or
//! an error.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::http::{Response, Server};

const PREFIX: &str = "/2018-06-01/runtime";
/// How often a held request for the next event looks whether the emulator was shut down.
const POLL_TICK: Duration = Duration::from_millis(200);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    Response(String),
    Error(String),
}

#[derive(Default)]
struct State {
    pending: VecDeque<(String, String)>,
    replies: HashMap<String, Reply>,
    init_error: Option<String>,
    next_id: u64,
    /// When the function first asked for an event: the end of its cold start.
    first_poll: Option<Instant>,
    closed: bool,
}

pub struct RuntimeApi {
    server: Server,
    state: Arc<(Mutex<State>, Condvar)>,
}

impl Default for RuntimeApi {
    fn default() -> Self {
        Self::start()
    }
}

impl RuntimeApi {
    pub fn start() -> Self {
        let state: Arc<(Mutex<State>, Condvar)> = Arc::default();
        let shared = state.clone();
        let server = Server::start(move |request| {
            let (lock, ready) = &*shared;
            let path = request.path.strip_prefix(PREFIX).unwrap_or("");
            if request.method == "GET" && path == "/invocation/next" {
                let mut state = lock.lock().unwrap();
                state.first_poll.get_or_insert_with(Instant::now);
                // Like Lambda, hold the request until there is an event.
                while state.pending.is_empty() {
                    if state.closed {
                        return Response::new(500, "text/plain", "the emulator has shut down");
                    }
                    state = ready.wait_timeout(state, POLL_TICK).unwrap().0;
                }
                let (id, payload) = state.pending.pop_front().unwrap();
                let deadline_ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() + 60_000;
                return Response::new(200, "application/json", payload)
                    .header("Lambda-Runtime-Aws-Request-Id", &id)
                    .header("Lambda-Runtime-Deadline-Ms", &deadline_ms.to_string())
                    .header(
                        "Lambda-Runtime-Invoked-Function-Arn",
                        "arn:aws:lambda:us-east-1:123456789012:function:drainer",
                    )
                    .header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000");
            }
            let mut state = lock.lock().unwrap();
            if path == "/init/error" {
                state.init_error = Some(request.body_text());
            } else if let Some(rest) = path.strip_prefix("/invocation/") {
                let (id, kind) = rest.split_once('/').unwrap_or((rest, ""));
                let reply = match kind {
                    "response" => Reply::Response(request.body_text()),
                    _ => Reply::Error(request.body_text()),
                };
                state.replies.insert(id.to_owned(), reply);
            }
            ready.notify_all();
            Response::new(202, "application/json", "{\"status\":\"OK\"}")
        });
        RuntimeApi { server, state }
    }

    /// The value of `AWS_LAMBDA_RUNTIME_API` for the function.
    pub fn authority(&self) -> String {
        self.server.authority()
    }

    /// Hands the function an event and waits for its reply.
    pub fn invoke(&self, payload: &str, timeout: Duration) -> Option<Reply> {
        let (lock, ready) = &*self.state;
        let mut state = lock.lock().unwrap();
        state.next_id += 1;
        let id = format!("request-{}", state.next_id);
        state.pending.push_back((id.clone(), payload.to_owned()));
        ready.notify_all();
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(reply) = state.replies.remove(&id) {
                return Some(reply);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            state = ready.wait_timeout(state, left).unwrap().0;
        }
    }

    /// Waits until the function asks for its first event; `None` if it never does.
    pub fn wait_for_first_poll(&self, timeout: Duration) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(at) = self.state.0.lock().unwrap().first_poll {
                return Some(at);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    pub fn init_error(&self) -> Option<String> {
        self.state.0.lock().unwrap().init_error.clone()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.state.0.lock().unwrap().closed = true;
        self.state.1.notify_all();
    }
}
