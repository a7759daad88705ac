;; lesson: A reactor has no _start: it exports functions for the host to invoke, after _initialize sets it up.
;; Try:  wasmscope run --invoke add samples/reactor.wat 2 3          (prints 5)
;;       wasmscope run --invoke mul64 samples/reactor.wat 4294967296 3
;;       wasmscope run --invoke scale samples/reactor.wat 1.5 2.5     (prints 3.75)
;;       wasmscope run --invoke counter samples/reactor.wat           (prints 100)
;; Running it without --invoke only calls _initialize, which sets the counter to
;; 100; every --invoke run is a fresh instance, so counter always starts at 100.
;; The arguments are parsed by each parameter's type: i32, i64 or f64.
(module $reactor
  (memory (export "memory") 1)

  (global $counter (mut i32) (i32.const 0))

  ;; Called once by the host right after instantiation, before any other export.
  (func $initialize (export "_initialize")
    (global.set $counter (i32.const 100)))

  (func $add (export "add") (param $a i32) (param $b i32) (result i32)
    (i32.add (local.get $a) (local.get $b)))

  (func $mul64 (export "mul64") (param $a i64) (param $b i64) (result i64)
    (i64.mul (local.get $a) (local.get $b)))

  (func $scale (export "scale") (param $x f64) (param $factor f64) (result f64)
    (f64.mul (local.get $x) (local.get $factor)))

  ;; Returns the counter, then adds one: state lives in the instance between calls.
  (func $next (export "counter") (result i32)
    (global.get $counter)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1))))
)
