"""Regenerate `consumo/api_models.py` (Pydantic v2) from the contract: `python -m consumo.codegen`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from consumo.config import BACKEND_DIR, SPEC_PATH

OPTIONS = [
    "--input-file-type",
    "openapi",
    "--output-model-type",
    "pydantic_v2.BaseModel",
    "--target-python-version",
    "3.11",
    "--use-standard-collections",
    "--use-union-operator",
    "--disable-timestamp",
    "--field-constraints",
    "--use-annotated",
    "--enum-field-as-literal",
    "all",
    "--strict-nullable",
    "--collapse-root-models",
    # An email is returned exactly as stored (ASCII, lower-case): Pydantic's EmailStr would
    # turn an `xn--` domain into Unicode, which the contract's pattern (and the web app's Zod) refuse.
    "--type-mappings",
    "email=string",
    # A number with `multipleOf` (quantities, prices) is a Decimal: a float check of 0.001 refuses
    # exact values such as 9394981.483, and services want exact values anyway. Only request
    # schemas state multipleOf, so responses keep JSON numbers (tests/test_typed_bodies.py).
    "--use-decimal-for-multiple-of",
    "--use-decimal-in-field-forms",
    "--deserialize-default-values",
    "decimal",
]


def generate(output: Path) -> None:
    generator = Path(sys.executable).with_name("datamodel-codegen")
    subprocess.run(  # noqa: S603 (our own generator on our own spec)
        [str(generator), "--input", str(SPEC_PATH), "--output", str(output), *OPTIONS],
        check=True,
        capture_output=True,
    )
    # The header names the input file; keep it stable wherever the checkout lives.
    text = output.read_text().replace(f"#   filename:  {SPEC_PATH}", "#   filename:  openapi.yaml")
    output.write_text(text)


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else BACKEND_DIR / "consumo" / "api_models.py")
