//! The guest's stdout and stderr: bytes go to the run's event channel as they are written,
//! coalesced, with backpressure that the timeout and Stop can still end.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use crossbeam_channel::{Sender, TrySendError};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

use crate::engine::events::{RunEvent, StdStream};

/// How many bytes of guest output may wait for the channel before the guest waits instead.
const MAX_PENDING_OUTPUT_BYTES: usize = 64 * 1024;
/// Output is sent in chunks of at least this much; smaller remainders go out on the next
/// tick (see [`ChannelOutput::tick`]), so a flood costs one event per 32 KiB, not per write.
const OUTPUT_CHUNK_BYTES: usize = 32 * 1024;

struct OutputState {
    stream: StdStream,
    pending: Vec<u8>,
    total_bytes: u64,
    events: Sender<RunEvent>,
    /// Someone calls [`ChannelOutput::tick`]: small writes may wait for it. Until then
    /// (e.g. the engine used without the runner) every write is sent at once.
    ticked: bool,
    /// The last [`crate::engine::last_words::TAIL_BYTES`] written, where a dying guest's
    /// last words are.
    tail: std::collections::VecDeque<u8>,
}

impl OutputState {
    /// Hands pending bytes to the channel without blocking; `false` if the channel is full.
    fn try_flush(&mut self) -> bool {
        if self.pending.is_empty() {
            return true;
        }
        let bytes = std::mem::take(&mut self.pending);
        match self.events.try_send(RunEvent::Output {
            stream: self.stream,
            bytes,
        }) {
            Ok(()) => true,
            Err(TrySendError::Full(RunEvent::Output { bytes, .. })) => {
                self.pending = bytes;
                false
            }
            // Nobody listens any more: drop the output rather than stall the guest.
            Err(_) => true,
        }
    }
}

/// A guest's stdout or stderr: bytes go to the event channel as they are written, coalesced
/// while the channel is full; past 64 KiB pending the guest waits (in an async wait that the
/// timeout and Stop can still end).
#[derive(Clone)]
pub struct ChannelOutput(Arc<Mutex<OutputState>>);

impl ChannelOutput {
    /// A stream that sends `stream` output on `events`.
    pub fn new(stream: StdStream, events: Sender<RunEvent>) -> Self {
        Self(Arc::new(Mutex::new(OutputState {
            stream,
            pending: Vec::new(),
            total_bytes: 0,
            events,
            ticked: false,
            tail: std::collections::VecDeque::new(),
        })))
    }

    /// The last bytes the guest wrote (at most [`crate::engine::last_words::TAIL_BYTES`]).
    pub fn tail(&self) -> Vec<u8> {
        self.state().tail.iter().copied().collect()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, OutputState> {
        // A poisoned lock means a panic while appending bytes; the bytes are still valid.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Bytes the guest wrote in all.
    pub fn total_bytes(&self) -> u64 {
        self.state().total_bytes
    }

    /// Sends what is still pending, waiting for room. Call outside any guest call.
    pub fn finish(&self) {
        let mut state = self.state();
        if !state.pending.is_empty() {
            let bytes = std::mem::take(&mut state.pending);
            let _ = state.events.send(RunEvent::Output {
                stream: state.stream,
                bytes,
            });
        }
    }

    fn accept(&self, bytes: &[u8]) -> usize {
        let mut state = self.state();
        let room = MAX_PENDING_OUTPUT_BYTES.saturating_sub(state.pending.len());
        let n = bytes.len().min(room);
        state.pending.extend_from_slice(&bytes[..n]);
        state.total_bytes += n as u64;
        let keep = crate::engine::last_words::TAIL_BYTES;
        let new = &bytes[n.saturating_sub(keep)..n];
        let drop = (state.tail.len() + new.len()).saturating_sub(keep);
        state.tail.drain(..drop);
        state.tail.extend(new);
        if state.pending.len() >= OUTPUT_CHUNK_BYTES || !state.ticked {
            state.try_flush();
        }
        n
    }

    /// Sends what is pending without blocking. The runner's ticker calls this every
    /// millisecond, so output is never held back for longer than that.
    pub fn tick(&self) {
        let mut state = self.state();
        state.ticked = true;
        state.try_flush();
    }

    fn room(&self) -> usize {
        let mut state = self.state();
        if state.pending.len() >= MAX_PENDING_OUTPUT_BYTES {
            state.try_flush();
        }
        MAX_PENDING_OUTPUT_BYTES.saturating_sub(state.pending.len())
    }
}

impl std::fmt::Debug for ChannelOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state();
        f.debug_struct("ChannelOutput")
            .field("stream", &state.stream)
            .field("pending_bytes", &state.pending.len())
            .field("total_bytes", &state.total_bytes)
            .finish()
    }
}

impl IsTerminal for ChannelOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for ChannelOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl OutputStream for ChannelOutput {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        // `check_write` granted room for these bytes, so `accept` takes them all.
        self.accept(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        // With a ticker, pending bytes go out within a millisecond anyway; sending on every
        // flush (p1 flushes after each write) would cost one event per write in a flood.
        let mut state = self.state();
        if !state.ticked {
            state.try_flush();
        }
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(self.room())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for ChannelOutput {
    async fn ready(&mut self) {
        while self.room() == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

impl tokio::io::AsyncWrite for ChannelOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.room() == 0 {
            // Ask to be polled again soon; the channel drains on another thread.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(Ok(self.accept(buf)))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.state().try_flush();
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
