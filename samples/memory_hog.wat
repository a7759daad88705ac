;; lesson: A denied memory.grow returns -1 quietly; the trap that follows is only a symptom of that refusal.
;; Try:  wasmscope run samples/memory_hog.wat                   (default cap: 256 MiB)
;;       wasmscope run --max-memory 64MiB samples/memory_hog.wat
;;       wasmscope run --trap-on-grow-failure samples/memory_hog.wat   (the grow itself traps)
;; The guest starts with one 64 KiB page (no maximum declared) and grows by 16 pages
;; (1 MiB) until the host says no. N in "refused after N MiB" counts the MiB it was
;; granted on top of its first page, so a 64 MiB cap prints 63. Then, like a program
;; that forgot to check the result of malloc, it stores just past the end of its
;; memory and traps "out of bounds memory access". The real cause is the refused
;; growth, which wasmscope reports alongside the trap.
(module $memory_hog
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))

  ;; 1 page to start, no maximum: only the sandbox limits it
  (memory (export "memory") 1)

  ;; Memory map:  0..8 iovec   8..12 bytes written   32..48 decimal digits   64.. text
  (data (i32.const 64) "memory.grow refused after ")   ;; 26 bytes
  (data (i32.const 96) " MiB\n")                       ;; 5 bytes

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

  ;; Grow by 1 MiB at a time until refused; returns how many MiB were granted.
  (func $grow_until_refused (result i32)
    (local $mib i32)
    (block $refused
      (loop $grow
        ;; memory.grow returns the old size in pages, or -1 if the host said no
        (br_if $refused (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
        (local.set $mib (i32.add (local.get $mib) (i32.const 1)))
        (br $grow)))
    (local.get $mib))

  ;; The bug: assume the memory is bigger than it is. memory.size is in 64 KiB
  ;; pages; shifting by 16 gives bytes, the first address past the end.
  (func $store_past_the_end
    (i32.store (i32.shl (memory.size) (i32.const 16)) (i32.const 0xDEAD)))

  (func $_start (export "_start")
    (local $mib i32)
    (local.set $mib (call $grow_until_refused))
    (call $print (i32.const 64) (i32.const 26))
    (call $print (i32.const 32) (call $utoa (local.get $mib) (i32.const 32)))
    (call $print (i32.const 96) (i32.const 5))
    (call $store_past_the_end))
)
