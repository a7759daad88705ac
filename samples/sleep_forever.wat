;; lesson: A guest blocked inside a host call (here poll_oneoff, sleeping) must be ended by the timeout or Stop too.
;; Try:  wasmscope run --timeout 2s samples/sleep_forever.wat
;; Unlike infinite_loop.wat, this guest uses no CPU: it asks the host to sleep for
;; 2^63-1 nanoseconds (about 292 years) and loops if it ever wakes up. While it
;; sleeps no wasm runs, so no epoch check can fire inside the guest; the host has
;; to cancel the sleep itself for the run to end on time.
(module $sleep_forever
  ;; poll_oneoff(subscriptions, events, nsubscriptions, nevents_ptr) -> errno
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 1)

  ;; Memory map:  0..8 iovec   8..12 bytes written   12..16 events written
  ;;              64..112 one subscription (48 bytes)   128..160 one event (32 bytes)
  ;;              256.. text
  (data (i32.const 256) "sleeping in poll_oneoff for ~292 years...\n")   ;; 42 bytes

  (func $_start (export "_start")
    (i32.store (i32.const 0) (i32.const 256))
    (i32.store (i32.const 4) (i32.const 42))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))

    ;; The subscription: "wake me when the monotonic clock has advanced by timeout".
    (i64.store   (i32.const 64) (i64.const 0x5EE9))               ;; @0  userdata (echoed in the event)
    (i32.store8  (i32.const 72) (i32.const 0))                    ;; @8  tag: 0 = clock
    (i32.store   (i32.const 80) (i32.const 1))                    ;; @16 clock id: 1 = monotonic
    (i64.store   (i32.const 88) (i64.const 0x7fffffffffffffff))   ;; @24 timeout in ns
    (i64.store   (i32.const 96) (i64.const 0))                    ;; @32 precision
    (i32.store16 (i32.const 104) (i32.const 0))                   ;; @40 flags: 0 = relative

    (loop $again
      (drop (call $poll_oneoff (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 12)))
      (br $again)))
)
