"""Check recorded Messaging API calls and webhook bodies against LINE's OpenAPI specs.

The specs live beside the repository in ../shared/line-openapi (override with LINE_OPENAPI_DIR); they
are read, never copied. OpenAPI 3 discriminators on `type` are honoured: a value validated against a
discriminated schema (Message, Action, FlexComponent, Event, ...) is validated against the subschema its
`type` selects, and an unknown `type` is an error.

    assert_valid_request(call)                                   # a record from Sandbox.calls()
    assert_valid_schema("webhook.yml", "CallbackRequest", body)  # any named schema
"""

from __future__ import annotations

import copy
import functools
import os
import re
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator, ValidationError, validators
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_DIR = Path(os.environ.get("LINE_OPENAPI_DIR", Path(__file__).resolve().parents[2] / "shared" / "line-openapi"))
SCHEMAS = "#/components/schemas/"
MAX_REPORTED_ERRORS = 10


def _discriminator(validator, discriminator: dict, instance: object, schema: dict):
    """The `discriminator` keyword: validate against the subschema that the property value maps to."""
    if not isinstance(instance, dict):
        return
    name = discriminator["propertyName"]
    mapping = discriminator.get("mapping", {})
    target = mapping.get(instance.get(name))
    if target is None:
        yield ValidationError(f"{name} {instance.get(name)!r} is not one of {sorted(mapping)}")
        return
    yield from validator.descend(instance, {"$ref": target})


OpenApiValidator = validators.extend(Draft202012Validator, {"discriminator": _discriminator})


def _with_discriminator_bases(document: dict) -> dict:
    """Give each discriminated schema S a `S__base` copy without the discriminator and point its
    subtypes' `allOf` at the base, so that dispatching on `type` does not recurse forever."""
    document = copy.deepcopy(document)
    schemas = document.get("components", {}).get("schemas", {})
    for name, schema in list(schemas.items()):
        if "discriminator" not in schema:
            continue
        base_name = f"{name}__base"
        schemas[base_name] = {key: value for key, value in schema.items() if key != "discriminator"}
        for target in schema["discriminator"].get("mapping", {}).values():
            subtype = schemas.get(target.removeprefix(SCHEMAS), {})
            for part in subtype.get("allOf", []):
                if part.get("$ref") == SCHEMAS + name:
                    part["$ref"] = SCHEMAS + base_name
    return document


class OpenApiSpec:
    """One OpenAPI document with validators for its schemas and request bodies."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise FileNotFoundError(f"LINE OpenAPI spec not found: {path} (set LINE_OPENAPI_DIR)")
        self.uri = path.as_uri()
        self.document = _with_discriminator_bases(yaml.safe_load(path.read_text(encoding="utf-8")))
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(self.uri, resource)
        self._operations = [
            (self._path_pattern(template), template, method.upper(), operation)
            for template, operations in self.document.get("paths", {}).items()
            for method, operation in operations.items()
            if isinstance(operation, dict)
        ]

    @staticmethod
    def _path_pattern(template: str) -> re.Pattern:
        return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")

    def validator(self, schema_ref: str) -> OpenApiValidator:
        """A validator for the schema at `schema_ref` (a name, or a '#/components/...' reference)."""
        ref = schema_ref if schema_ref.startswith("#") else SCHEMAS + schema_ref
        return OpenApiValidator({"$ref": self.uri + ref}, registry=self.registry)

    def operation(self, method: str, path: str) -> dict | None:
        """The operation for a concrete path; a literal segment beats a {parameter}."""
        matches = [(template.count("{"), operation) for pattern, template, op_method, operation
                   in self._operations if op_method == method.upper() and pattern.match(path)]
        return min(matches, key=lambda match: match[0])[1] if matches else None


@functools.cache
def load_spec(file_name: str) -> OpenApiSpec:
    """The spec `file_name` (e.g. "messaging-api.yml") from SPEC_DIR, loaded once."""
    return OpenApiSpec(SPEC_DIR / file_name)


def _describe(error: ValidationError) -> str:
    where = "/".join(map(str, error.absolute_path)) or "(root)"
    message = error.message if len(error.message) <= 200 else error.message[:120] + " ... " + error.message[-60:]
    return f"  at {where}: {message}"


def _raise_errors(errors: list[ValidationError], what: str) -> None:
    """Raise one AssertionError listing distinct errors (a discriminated base is checked twice)."""
    lines = sorted(set(map(_describe, errors)))
    if lines:
        raise AssertionError(f"{what} does not match the spec:\n" + "\n".join(lines[:MAX_REPORTED_ERRORS]))


def assert_valid_schema(file_name: str, schema_name: str, instance: object) -> None:
    """Raise AssertionError listing where `instance` breaks schema `schema_name` of `file_name`."""
    validator = load_spec(file_name).validator(schema_name)
    _raise_errors(list(validator.iter_errors(instance)), schema_name)


def assert_valid_request(call: dict) -> None:
    """Raise AssertionError unless the recorded call's body matches its operation's request schema."""
    spec = load_spec("messaging-api.yml")
    operation = spec.operation(call["method"], call["path"])
    if operation is None:
        raise AssertionError(f"{call['method']} {call['path']} is not an operation of messaging-api.yml")
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if schema is None:
        if call.get("body") is not None:
            raise AssertionError(f"{call['method']} {call['path']} takes no JSON body")
        return
    if call.get("body") is None:
        raise AssertionError(f"{call['method']} {call['path']}: no body recorded (record_bodies off?)")
    validator = spec.validator(schema["$ref"])
    _raise_errors(list(validator.iter_errors(call["body"])), f"{call['method']} {call['path']} body")
