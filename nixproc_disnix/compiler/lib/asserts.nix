# Assertions with readable messages.
{ lib }:
rec {
  # For `assert assertMsg cond "why";`: throws msg instead of a bare assertion failure.
  assertMsg = pred: msg: pred || builtins.throw msg;

  assertOneOf = name: val: xs:
    assertMsg (builtins.elem val xs)
      "${name} must be one of ${lib.generators.toPretty { } xs}, but is: ${lib.generators.toPretty { } val}";
}
