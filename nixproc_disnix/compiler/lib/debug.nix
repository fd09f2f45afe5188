# Tracing helpers: print values while evaluating.
{ ... }:
rec {
  traceIf = pred: msg: x: if pred then builtins.trace msg x else x;
  traceValFn = f: x: builtins.trace (f x) x;
  traceVal = traceValFn (x: x);
  # Trace x fully evaluated, then return y.
  traceSeq = x: y: builtins.trace (builtins.deepSeq x x) y;
  traceValSeqFn = f: v: traceValFn f (builtins.deepSeq v v);
  traceValSeq = traceValSeqFn (x: x);
}
