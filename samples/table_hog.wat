;; lesson: Tables are capped by the sandbox too: table.grow returns -1 once the element limit is reached.
;; Try:  wasmscope run samples/table_hog.wat                          (default cap: 100,000 elements)
;;       wasmscope run --max-table-elements 25000 samples/table_hog.wat
;; A funcref table (1 element to start, no maximum declared) grows by 10,000 null
;; entries at a time. Each element costs the host memory (8 bytes or more), so an
;; uncapped guest could ask for gigabytes this way. N in "refused after N elements"
;; is the table's final size, the first element included.
(module $table_hog
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 1)

  ;; 1 element to start, no maximum: only the sandbox limits it
  (table $t 1 funcref)

  ;; Memory map:  0..8 iovec   8..12 bytes written   32..48 decimal digits   64.. text
  (data (i32.const 64) "table.grow refused after ")   ;; 25 bytes
  (data (i32.const 96) " elements\n")                 ;; 10 bytes

  ;; Write len bytes at ptr to stdout, looping until the host has taken them all.
  (func $print (param $ptr i32) (param $len i32)
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        (br_if $done (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (br_if $done (i32.eqz (i32.load (i32.const 8))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.load (i32.const 8))))
        (local.set $len (i32.sub (local.get $len) (i32.load (i32.const 8))))
        (br $more))))

  ;; Write the decimal digits of n (unsigned) at out; returns how many bytes.
  (func $utoa (param $n i32) (param $out i32) (result i32)
    (local $len i32) (local $t i32)
    (local.set $t (local.get $n))
    (loop $count
      (local.set $len (i32.add (local.get $len) (i32.const 1)))
      (local.set $t (i32.div_u (local.get $t) (i32.const 10)))
      (br_if $count (local.get $t)))
    (local.set $t (local.get $len))
    (loop $fill
      (local.set $t (i32.sub (local.get $t) (i32.const 1)))
      (i32.store8 (i32.add (local.get $out) (local.get $t))
        (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $fill (local.get $t)))
    (local.get $len))

  (func $grow_until_refused
    (block $refused
      (loop $grow
        ;; table.grow fills the new slots with the given value (here null) and
        ;; returns the old size, or -1 if the host said no
        (br_if $refused
          (i32.eq (table.grow $t (ref.null func) (i32.const 10000)) (i32.const -1)))
        (br $grow))))

  (func $_start (export "_start")
    (call $grow_until_refused)
    (call $print (i32.const 64) (i32.const 25))
    (call $print (i32.const 32) (call $utoa (table.size $t) (i32.const 32)))
    (call $print (i32.const 96) (i32.const 10)))
)
