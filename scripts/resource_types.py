"""Generates src/resources/generated/NAMESPACE.rs (a Rust struct for each resource type ecs-alb
emits and for each of its property types) and src/resources/schema.rs (resource_schemas.py),
from AWS's resource schemas as the pinned cfn-lint ships them (us-east-1), as goformation and
troposphere generate theirs. Properties keep their schema
names (serde renames), `Value<T>` for anything an intrinsic may stand in for, `Option` where the
schema does not require them. `src/resources/patch.toml` gives the Rust type of the few properties
the schema types loosely (a JSON document, a string with known values the tool writes as an enum).

Usage: scripts/generate-resources [--check]
"""

import argparse
import os
import sys
import tomllib

import cfnlint
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

import resource_schemas
from resource_schemas import REGION, words

# A patch value that keeps the schema's own type where the generator would otherwise choose one
# (a tag list that is not plain key-value pairs).
SCHEMA_TYPE = "schema"
RUST_KEYWORDS = {"type", "match", "ref", "async", "box", "move", "loop", "in", "fn", "mod", "use", "where", "self"}
NAMESPACE_MODULES = {
    "ApplicationAutoScaling": "applicationautoscaling",
    "AutoScaling": "autoscaling",
    "CloudWatch": "cloudwatch",
    "EC2": "ec2",
    "ECS": "ecs",
    "ElasticLoadBalancingV2": "elbv2",
    "Events": "events",
    "IAM": "iam",
    "Lambda": "lambda",
    "Logs": "logs",
    "Route53": "route53",
    "S3": "s3",
    "SNS": "sns",
    "SQS": "sqs",
}


def snake(name):
    """EFSVolumeConfiguration -> efs_volume_configuration; Ipv6CidrBlock -> ipv6_cidr_block."""
    return "_".join(w.lower() for w in words(name)) or name.lower()


def type_name_of(name):
    """A schema's name as a Rust type's: as written, but an all-capitals one (VPC, EIP) as a
    word (Vpc, Eip), as Rust spells acronyms."""
    return name.capitalize() if name.isupper() else name


def field_name(name):
    """A property's Rust field: its snake-case name, raw where Rust keeps the word (`r#type`)."""
    text = snake(name)
    return f"r#{text}" if text in RUST_KEYWORDS else text


class Namespace:
    def __init__(self, patch):
        self.patch = patch
        self.modules = []  # (module name, code)
        self.used = set()  # the patch's properties it met

    def resource(self, type_name):
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(REGION, type_name).schema
        resource_name = type_name.split("::")[2]
        read_only = {p.split("/")[2] for p in schema.get("readOnlyProperties", []) if p.count("/") == 2}
        definitions = schema.get("definitions", {})
        structs = {}  # Rust name -> code, in the order made
        tag_property = schema.get("tagging", {}).get("tagProperty", "/properties/Tags").split("/")[-1]

        def patched(path):
            found = self.patch.get("types", {}).get(path)
            if found:
                self.used.add(path)
            return found

        def rust_type(prop, path):
            """The Rust type of property schema `prop` at `path` (TYPE.Def.Prop)."""
            override = patched(path)
            if override and override != SCHEMA_TYPE:
                return override
            if "$ref" in prop:
                name = prop["$ref"].split("/")[-1]
                target = definitions[name]
                if target.get("type") == "object" and "properties" in target:
                    struct(name, target, f"{type_name}.{name}")
                    return type_name_of(name)
                return rust_type(target, path)
            kind = prop.get("type")
            if isinstance(kind, list):
                return "serde_json::Value"
            if kind == "string":
                return "Value<String>"
            if kind == "integer":
                return "Value<u32>"
            if kind == "number":
                return "Value<f64>"
            if kind == "boolean":
                return "Value<bool>"
            if kind == "array":
                return f"Vec<{rust_type(prop.get('items', {}), path + '[]')}>"
            if kind == "object":
                if "properties" in prop:
                    name = path.split(".")[-1]
                    struct(name, prop, path)
                    return type_name_of(name)
                if "patternProperties" in prop or "additionalProperties" in prop:
                    return "IndexMap<String, Value<String>>"
                return "serde_json::Value"
            return "serde_json::Value"

        def struct(name, definition, path, resource=False):
            if name in structs:
                return
            structs[name] = None  # being made
            required = set(definition.get("required", []))
            fields = []
            # Properties in alphabetical order, as templates write them, unless the patch keeps
            # an order the templates already have.
            order = self.patch.get("order", {}).get(path)
            names = sorted(definition.get("properties", {}))
            if order:
                self.used.add(path)
                names = order + [n for n in names if n not in order]
            for prop_name in names:
                if resource and prop_name in read_only:
                    continue
                prop = definition["properties"][prop_name]
                prop_path = f"{path}.{prop_name}"
                if resource and prop_name == tag_property and prop_name == "Tags" and patched(prop_path) is None:
                    ty = "Tags"
                else:
                    ty = rust_type(prop, prop_path)
                if prop_name not in required:
                    ty = f"Option<{ty}>"
                fields.append(f'    #[serde(rename = "{prop_name}")]\n    pub {field_name(prop_name)}: {ty},')
            derive = "#[derive(Debug, Default, Serialize)]"
            code = f"#[skip_serializing_none]\n{derive}\npub struct {type_name_of(name)} {{\n" + "\n".join(fields) + "\n}\n"
            structs[name] = code

        struct(resource_name, schema, type_name, resource=True)
        tagging = schema.get("tagging", {})
        taggable = tagging.get("taggable", True) and tag_property == "Tags" and "Tags" in schema.get("properties", {})
        left_untagged = type_name in self.patch.get("tags", {}).get("leave_untagged", [])
        tagged = "Tags::add_missing_to(&mut self.tags, tags);" if taggable and not left_untagged and not patched(f"{type_name}.Tags") else None
        tag_function = self.patch.get("tags", {}).get("with", {}).get(type_name)
        if tag_function:
            tagged = f"{tag_function}(self, tags);"
        const = resource_schemas.rust_name(type_name)
        impl = f"impl Resource for {type_name_of(resource_name)} {{\n    const TYPE: &'static str = schema::{const}_TYPE;\n"
        if tagged:
            impl += f"\n    fn add_tags(&mut self, tags: &Tags) {{\n        {tagged}\n    }}\n"
        impl += "}\n"
        body = "\n".join(code for code in structs.values()) + "\n" + impl
        module = snake(resource_name)
        header = (
            f"/// {type_name}.\npub mod {module} {{\n"
            "    #![allow(unused_imports)]\n"
            "    use indexmap::IndexMap;\n    use serde::Serialize;\n    use serde_with::skip_serializing_none;\n\n"
            "    use crate::resources::schema;\n    use crate::resources::patched::*;\n"
            "    use crate::template::{Resource, Tags, Value};\n\n"
        )
        indented = "\n".join(("    " + line) if line else "" for line in body.rstrip("\n").split("\n"))
        self.modules.append(header + indented + "\n}\n")


def render(namespace, types, patch, used):
    ns = Namespace(patch)
    for t in types:
        ns.resource(t)
    used |= ns.used
    head = (
        f"//! AWS::{namespace} resource types, generated by `scripts/generate-resources` from the\n"
        f"//! schemas cfn-lint {cfnlint.version.__version__} ships ({REGION}), with `patch.toml`. Do not edit.\n\n"
    )
    return head + "\n".join(ns.modules)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    with open("src/resources/schema-types.txt") as f:
        types = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    with open("src/resources/patch.toml", "rb") as f:
        patch = tomllib.load(f)
    by_namespace = {}
    for t in types:
        by_namespace.setdefault(t.split("::")[1], []).append(t)
    stale = []
    used = set()
    generated = set(by_namespace)
    outputs = [("src/resources/schema.rs", resource_schemas.render(types))]
    for namespace, members in sorted(by_namespace.items()):
        path = f"src/resources/generated/{NAMESPACE_MODULES[namespace]}.rs"
        outputs.append((path, render(namespace, members, patch, used)))
    modules = sorted(NAMESPACE_MODULES[n] for n in by_namespace if n in generated)
    index = (
        "//! Generated by `scripts/generate-resources`: one module per namespace, one submodule per\n"
        "//! resource type with its property types. The hand-written module of each namespace re-exports\n"
        "//! them and adds each type's attributes to its `Handle`.\n\n"
        + "".join(f"pub mod {m};\n" for m in modules)
    )
    outputs.append(("src/resources/generated/mod.rs", index))
    for path, text in outputs:
        if args.check:
            if not os.path.exists(path) or open(path).read() != text:
                stale.append(path)
        else:
            with open(path, "w") as f:
                f.write(text)
    if not args.check:
        print(f"src/resources: {len(types)} resource types in {len(by_namespace)} namespaces")
    patched = list(patch.get("types", {})) + list(patch.get("order", {}))
    unused = [p for p in patched if p not in used and p.split("::")[1] in generated]
    if unused:
        print("patch.toml names properties no schema has: " + ", ".join(unused), file=sys.stderr)
        return 1
    if stale:
        print("stale: " + ", ".join(stale) + ": run scripts/generate-resources", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
