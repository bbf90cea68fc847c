//! How an ALB listener's rules match requests and in which order they are tried: what the
//! configuration's checks, the resolved model and `diff` share about services' routes.
//!
//! The load balancer tries a listener's rules from the lowest priority to the highest, and the
//! first that matches takes the request ("Listener rules for your Application Load Balancer").
//! A priority is unique on its listener at every moment, and CloudFormation deletes a removed rule
//! only in its cleanup phase, after every update: a rule that moves onto a priority another rule
//! holds fails with `PriorityInUse`. So a service's priority, when the file leaves it out, depends
//! on nothing but that service's own name and the kind of its route: adding, removing or reordering
//! other services never moves it.

use md5::{Digest, Md5};

/// The last priority a listener takes: the catch-all rule a release of the default route's
/// service shifts its traffic on comes after every other service's rule (derived priorities end
/// at 49999).
pub const RELEASE_CATCH_ALL_PRIORITY: u32 = 50_000;

/// Which conditions a route has. Rules with more conditions are tried first: a host-and-path rule
/// before a host rule, a host rule before a path rule, so `admin.example.com/api/x` goes to the
/// service of `admin.example.com`, not to the one of `/api/*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RouteKind {
    HostAndPath,
    Host,
    Path,
}

impl RouteKind {
    pub fn of(path_patterns: &[String], host_headers: &[String]) -> RouteKind {
        match (host_headers.is_empty(), path_patterns.is_empty()) {
            (false, false) => RouteKind::HostAndPath,
            (false, true) => RouteKind::Host,
            _ => RouteKind::Path,
        }
    }

    /// The priorities derived for this kind: one band each, in the order the kinds are tried.
    /// Priorities 1 to 1999 stay for the ones a file gives to go before every derived one.
    fn band(self) -> std::ops::RangeInclusive<u32> {
        let start = FIRST_DERIVED + BAND_WIDTH * self as u32;
        start..=start + BAND_WIDTH - 1
    }

    pub fn describe(self) -> &'static str {
        match self {
            RouteKind::HostAndPath => "host and path",
            RouteKind::Host => "host",
            RouteKind::Path => "path",
        }
    }
}

/// Where derived priorities start, and how many each kind of route has (3 × 16000 fills the
/// listener's range up to 49999).
const FIRST_DERIVED: u32 = 2000;
const BAND_WIDTH: u32 = 16_000;

/// The priority of a service's rule when the file gives none: in its kind's band, at a place
/// derived from its name alone (the first four bytes of the name's MD5, as the CDK derives
/// logical IDs), so no other service's name or place can move it.
pub fn derived_priority(service_name: &str, kind: RouteKind) -> u32 {
    let digest = Md5::digest(service_name.as_bytes());
    let hash = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    *kind.band().start() + hash % BAND_WIDTH
}

/// An ALB rule takes 5 wildcards (`*` and `?`) in all its conditions ("Condition types for
/// listener rules": condition basics; "Quotas for your Application Load Balancers").
pub const MAX_WILDCARDS_PER_RULE: usize = 5;
/// Each path pattern and host name is at most 128 characters.
pub const MAX_VALUE_LEN: usize = 128;

/// The wildcards of a route's values together.
pub fn wildcards<'a>(values: impl IntoIterator<Item = &'a String>) -> usize {
    values.into_iter().map(|v| v.chars().filter(|c| matches!(c, '*' | '?')).count()).sum()
}

/// Whether ALB takes `pattern` as a path pattern: case-sensitive, up to 128 characters of
/// A–Z, a–z, 0–9, `_ - . $ / ~ " ' @ : + &` and the wildcards `*` and `?` ("RuleCondition",
/// Elastic Load Balancing API Reference). It must also start with `/`, as every request's path does.
pub fn is_path_pattern(pattern: &str) -> bool {
    pattern.starts_with('/')
        && pattern.len() <= MAX_VALUE_LEN
        && pattern.chars().all(|c| c.is_ascii_alphanumeric() || "_-.$/~\"'@:+&*?".contains(c))
}

/// Whether ALB takes `host` as a host name: up to 128 characters of A–Z, a–z, 0–9, `-`, `.` and
/// the wildcards, with at least one `.` and only letters and digits after the last one
/// ("Condition types for listener rules": host conditions).
pub fn is_host_pattern(host: &str) -> bool {
    let allowed = host.chars().all(|c| c.is_ascii_alphanumeric() || "-.*?".contains(c));
    let top_level_ok = host
        .rsplit_once('.')
        .is_some_and(|(_, last)| !last.is_empty() && last.chars().all(|c| c.is_ascii_alphanumeric()));
    !host.is_empty() && host.len() <= MAX_VALUE_LEN && allowed && top_level_ok
}

/// A route as the load balancer matches it: any of its paths (when it has some) and any of its
/// hosts (when it has some).
#[derive(Clone, Copy, Debug)]
pub struct Route<'a> {
    pub path_patterns: &'a [String],
    pub host_headers: &'a [String],
}

impl Route<'_> {
    /// Whether some request matches both routes, so that their order decides where it goes.
    /// Paths compare case-sensitively, hosts without case, as ALB compares them.
    pub fn overlaps(&self, other: &Route<'_>) -> bool {
        let any_pair = |a: &[String], b: &[String], fold: bool| {
            a.is_empty() || b.is_empty() || a.iter().any(|x| b.iter().any(|y| globs_intersect(x, y, fold)))
        };
        any_pair(self.path_patterns, other.path_patterns, false)
            && any_pair(self.host_headers, other.host_headers, true)
    }

    /// A request both routes match, for messages: a host and a path.
    pub fn example_overlap(&self, other: &Route<'_>) -> String {
        let pick = |a: &[String], b: &[String], fold: bool| -> Option<String> {
            if a.is_empty() && b.is_empty() {
                return None;
            }
            let pairs: Vec<(&String, &String)> = match (a.is_empty(), b.is_empty()) {
                (true, false) => b.iter().map(|y| (y, y)).collect(),
                (false, true) => a.iter().map(|x| (x, x)).collect(),
                _ => a.iter().flat_map(|x| b.iter().map(move |y| (x, y))).collect(),
            };
            pairs.into_iter().find_map(|(x, y)| common_string(x, y, fold))
        };
        let host = pick(self.host_headers, other.host_headers, true);
        let path = pick(self.path_patterns, other.path_patterns, false).unwrap_or_else(|| "/".to_owned());
        match host {
            Some(host) => format!("{host}{path}"),
            None => path,
        }
    }
}

/// Whether two patterns with `*` (any run of characters) and `?` (one character) match a common
/// string.
pub fn globs_intersect(a: &str, b: &str, fold_case: bool) -> bool {
    common_string(a, b, fold_case).is_some()
}

/// A string both patterns match, the shortest the search finds, or `None`: a breadth-first search
/// over the pairs of positions, as the product of the two patterns' automata. Each pair reached
/// keeps the one it came from and what it read, and the string is spelled out only when found
/// (every pair of a platform's routes is asked, so the search itself builds no strings).
fn common_string(a: &str, b: &str, fold_case: bool) -> Option<String> {
    let norm =
        |s: &str| -> Vec<u8> { if fold_case { s.to_ascii_lowercase().into_bytes() } else { s.as_bytes().to_vec() } };
    let (a, b) = (norm(a), norm(b));
    let width = b.len() + 1;
    let mut seen = vec![false; (a.len() + 1) * width];
    // Each pair reached, in order: the pair it was reached from, and the byte read on the way.
    let mut reached: Vec<(Option<usize>, Option<u8>)> = Vec::new();
    let mut queue = std::collections::VecDeque::from([((0usize, 0usize), None, None)]);
    while let Some(((i, j), from, read)) = queue.pop_front() {
        if std::mem::replace(&mut seen[i * width + j], true) {
            continue;
        }
        let here = reached.len();
        reached.push((from, read));
        if i == a.len() && j == b.len() {
            let mut text = Vec::new();
            let mut at = Some(here);
            while let Some(k) = at {
                let (from, read) = reached[k];
                text.extend(read);
                at = from;
            }
            text.reverse();
            return Some(String::from_utf8_lossy(&text).into_owned());
        }
        // A `*` may match nothing.
        if a.get(i) == Some(&b'*') {
            queue.push_back(((i + 1, j), Some(here), None));
        }
        if b.get(j) == Some(&b'*') {
            queue.push_back(((i, j + 1), Some(here), None));
        }
        // Or both read one character: a `*` stays where it is, anything else moves on.
        let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) else { continue };
        let wild = |c: u8| c == b'*' || c == b'?';
        let read = match (wild(x), wild(y)) {
            (true, true) => b'x',
            (true, false) => y,
            (false, true) => x,
            (false, false) if x == y => x,
            _ => continue,
        };
        let next = (if x == b'*' { i } else { i + 1 }, if y == b'*' { j } else { j + 1 });
        if next != (i, j) {
            queue.push_back((next, Some(here), Some(read)));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn globs_intersect_as_alb_matches() {
        for (a, b, fold, expected) in [
            ("/api/*", "/api/v2/*", false, true),
            ("/api/*", "/admin/*", false, false),
            ("/a?c", "/abc", false, true),
            ("/a?c", "/abbc", false, false),
            ("/*.png", "/img/*", false, true),
            ("/*/x", "/y/*", false, true),
            ("/API/*", "/api/*", false, false),
            ("*.example.com", "admin.example.com", true, true),
            ("ADMIN.example.com", "admin.EXAMPLE.com", true, true),
            ("*.example.com", "example.com", true, false),
            ("a*b*c", "*z*", false, true),
            ("a*b", "c*", false, false),
            ("*b", "*c", false, false),
            ("*", "anything", false, true),
        ] {
            assert_eq!(globs_intersect(a, b, fold), expected, "{a} ∩ {b}");
        }
    }

    #[test]
    fn an_example_of_an_overlap_matches_both_routes() {
        let (paths, hosts) = (strings(&["/api/*"]), strings(&["admin.example.com"]));
        let path_route = Route { path_patterns: &paths, host_headers: &[] };
        let host_route = Route { path_patterns: &[], host_headers: &hosts };
        assert!(path_route.overlaps(&host_route));
        assert_eq!(path_route.example_overlap(&host_route), "admin.example.com/api/");
        let other_paths = strings(&["/web/*"]);
        assert!(!path_route.overlaps(&Route { path_patterns: &other_paths, host_headers: &[] }));
    }

    #[test]
    fn host_rules_come_before_path_rules_and_names_alone_place_them() {
        let api = derived_priority("api", RouteKind::Path);
        let admin = derived_priority("admin", RouteKind::Host);
        let both = derived_priority("shop", RouteKind::HostAndPath);
        assert!(both < admin && admin < api, "{both} < {admin} < {api}");
        assert!((2000..=49_999).contains(&both) && (2000..=49_999).contains(&api));
        assert_eq!(derived_priority("api", RouteKind::Path), api, "the same name, the same priority");
    }

    #[test]
    fn alb_syntax_of_paths_and_hosts() {
        for good in ["/api/*", "/a-b_c.d$e~f\"g'h@i:j+k&l?", "/"] {
            assert!(is_path_pattern(good), "{good}");
        }
        for bad in ["api/*", "/a b", "/a%20", "/a#b", "/ä", &format!("/{}", "a".repeat(128))] {
            assert!(!is_path_pattern(bad), "{bad}");
        }
        for good in ["admin.example.com", "*.example.com", "a?.b.c0"] {
            assert!(is_host_pattern(good), "{good}");
        }
        for bad in ["localhost", "example.*", "example.", "a_b.com", "exa mple.com", ""] {
            assert!(!is_host_pattern(bad), "{bad}");
        }
        assert_eq!(wildcards(&strings(&["/a/*/b?", "*.x.com"])), 3);
    }
}
