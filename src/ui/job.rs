//! One-shot background work for the window: loading, dialogs, compiling, disassembling,
//! writing files. The work runs on a named thread, the window polls once a frame and never
//! blocks, and the thread wakes the window when it is done.

use eframe::egui;
use std::time::Instant;

use crossbeam_channel::{Receiver, TryRecvError, bounded};

/// A piece of work running on its own thread, with one result to come.
pub struct Job<T> {
    receiver: Receiver<T>,
    label: String,
    started: Instant,
}

/// The thread of a [`Job`] ended without a result (it panicked).
#[derive(Debug, thiserror::Error)]
#[error("{label} stopped unexpectedly (its thread ended without an answer)")]
pub struct JobLost {
    /// What the job was doing.
    pub label: String,
}

impl<T: Send + 'static> Job<T> {
    /// Runs `work` on a thread named `wasmscope-{thread}`; `label` says what it does, in
    /// words for the window ("loading hello.wat").
    pub fn spawn(
        thread: &str,
        label: impl Into<String>,
        ctx: &egui::Context,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> std::io::Result<Self> {
        let (sender, receiver) = bounded(1);
        let waker = ctx.clone();
        std::thread::Builder::new()
            .name(format!("wasmscope-{thread}"))
            .spawn(move || {
                // Nobody may be listening any more (the window moved on): that is fine.
                let _ = sender.send(work());
                waker.request_repaint();
            })?;
        Ok(Self {
            receiver,
            label: label.into(),
            started: Instant::now(),
        })
    }
}

impl<T> Job<T> {
    /// The result, once there is one.
    pub fn poll(&self) -> Option<Result<T, JobLost>> {
        match self.receiver.try_recv() {
            Ok(result) => Some(Ok(result)),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err(JobLost {
                label: self.label.clone(),
            })),
        }
    }

    /// What the job does.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// When it started.
    pub fn started(&self) -> Instant {
        self.started
    }
}

/// Polls the job in `slot`, emptying the slot when the result has come.
pub fn take_result<T>(slot: &mut Option<Job<T>>) -> Option<Result<T, JobLost>> {
    let result = slot.as_ref()?.poll()?;
    *slot = None;
    Some(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait<T>(slot: &mut Option<Job<T>>) -> Result<T, JobLost> {
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if let Some(result) = take_result(slot) {
                return result;
            }
            assert!(Instant::now() < deadline, "the job never answered");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    #[test]
    fn a_job_answers_once_on_a_named_thread() {
        let ctx = egui::Context::default();
        let mut slot = Some(
            Job::spawn("test", "naming its thread", &ctx, || {
                std::thread::current().name().map(str::to_owned)
            })
            .unwrap(),
        );
        assert_eq!(wait(&mut slot).unwrap().as_deref(), Some("wasmscope-test"));
        assert!(slot.is_none(), "the slot empties once the answer came");
    }

    #[test]
    fn a_job_that_panics_says_what_it_was_doing() {
        let ctx = egui::Context::default();
        let mut slot = Some(
            Job::spawn("test", "counting to three", &ctx, || -> u32 {
                panic!("deliberately, for the test")
            })
            .unwrap(),
        );
        let lost = wait(&mut slot).unwrap_err();
        assert_eq!(
            lost.to_string(),
            "counting to three stopped unexpectedly (its thread ended without an answer)"
        );
    }
}
