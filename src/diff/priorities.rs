//! Listener rules an update would put on a priority another rule holds when it starts.
//!
//! ELB refuses a rule on a priority its listener already has (`PriorityInUse`), and
//! CloudFormation deletes a removed rule only in its cleanup phase, after every creation and
//! update; rules that change places update in parallel, in no order a template can fix. So a
//! rule created, or moved, onto a priority that another rule of the same listener holds in the
//! deployed template fails the update, which then rolls back: moved onto a removed service's
//! rule, swapped with another, or chasing one that moves away at the same time. `diff` and
//! `deploy` refuse such a change before CloudFormation starts it.

use crate::resources::schema::ELASTIC_LOAD_BALANCING_V2_LISTENER_RULE_TYPE;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

/// A rule that would land on a priority another rule holds now.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct PriorityConflict {
    /// The logical ID of the rule created or moved.
    pub rule: String,
    /// The priority it would take.
    pub priority: u64,
    /// Its priority in the deployed template; absent for a new rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<u64>,
    /// The logical ID of the rule on that priority now, on the same listener.
    pub held_by: String,
}

impl PriorityConflict {
    pub fn describe(&self) -> String {
        let what = match self.from {
            Some(from) => format!("moves listener rule {} from priority {from} to {}", self.rule, self.priority),
            None => format!("creates listener rule {} at priority {}", self.rule, self.priority),
        };
        format!(
            "{what}, which {} holds until the update ends: ELB refuses it (PriorityInUse) and the update rolls back",
            self.held_by
        )
    }
}

/// The rules of `new` created or moved onto a priority that another rule of the same listener
/// has in `old`.
pub fn priority_conflicts(old: &Value, new: &Value) -> Vec<PriorityConflict> {
    let held = rules(old);
    let mut conflicts = Vec::new();
    for (id, listener, priority) in rules(new) {
        let before = held.iter().find(|(old_id, ..)| *old_id == id);
        let from = match before {
            // Unchanged: it keeps what it holds.
            Some((_, old_listener, old_priority)) if *old_listener == listener && *old_priority == priority => continue,
            Some((_, old_listener, old_priority)) if *old_listener == listener => Some(*old_priority),
            _ => None,
        };
        if let Some((holder, ..)) =
            held.iter().find(|(other, other_listener, p)| *other != id && *other_listener == listener && *p == priority)
        {
            conflicts.push(PriorityConflict { rule: id.to_owned(), priority, from, held_by: (*holder).to_owned() });
        }
    }
    conflicts
}

/// Each listener rule's logical ID, listener (as the template refers to it) and priority.
fn rules(template: &Value) -> Vec<(&str, &Value, u64)> {
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else { return Vec::new() };
    resources
        .iter()
        .filter(|(_, r)| r["Type"] == ELASTIC_LOAD_BALANCING_V2_LISTENER_RULE_TYPE)
        .filter_map(|(id, r)| {
            let properties = &r["Properties"];
            let priority = match &properties["Priority"] {
                Value::Number(n) => n.as_u64()?,
                Value::String(s) => s.parse().ok()?,
                _ => return None,
            };
            Some((id.as_str(), &properties["ListenerArn"], priority))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn template(rules: &[(&str, u64)]) -> Value {
        let resources: serde_json::Map<String, Value> = rules
            .iter()
            .map(|(id, priority)| {
                let rule = json!({"Type": ELASTIC_LOAD_BALANCING_V2_LISTENER_RULE_TYPE, "Properties": {"ListenerArn": {"Ref": "Listener"}, "Priority": priority}});
                ((*id).to_owned(), rule)
            })
            .collect();
        json!({ "Resources": resources })
    }

    #[test]
    fn moving_onto_a_removed_rule_swapping_and_creating_on_a_held_priority_are_conflicts() {
        // The old scheme's removal of api: admin moves 30 -> 20, which api holds until cleanup.
        let removal = priority_conflicts(&template(&[("api", 20), ("admin", 30)]), &template(&[("admin", 20)]));
        assert_eq!(
            removal,
            [PriorityConflict { rule: "admin".into(), priority: 20, from: Some(30), held_by: "api".into() }]
        );
        let swap = priority_conflicts(&template(&[("a", 10), ("b", 20)]), &template(&[("a", 20), ("b", 10)]));
        assert_eq!(swap.len(), 2, "{swap:?}");
        let insert = priority_conflicts(&template(&[("a", 10)]), &template(&[("new", 10), ("a", 20)]));
        assert_eq!(insert[0].rule, "new");
        assert!(insert[0].describe().contains("creates listener rule new at priority 10, which a holds"));
    }

    #[test]
    fn unchanged_free_and_other_listeners_priorities_are_not() {
        let old = template(&[("a", 10), ("b", 20)]);
        assert!(priority_conflicts(&old, &old).is_empty());
        assert!(priority_conflicts(&old, &template(&[("a", 10), ("b", 25), ("c", 30)])).is_empty());
        let mut elsewhere = template(&[("c", 10)]);
        elsewhere["Resources"]["c"]["Properties"]["ListenerArn"] = json!({"Ref": "OtherListener"});
        assert!(priority_conflicts(&old, &elsewhere).is_empty());
    }
}
