//! SIGINT, SIGTERM and SIGHUP during `wasmscope run`: instead of killing the process (no
//! outcome, no report, a scratch copy left behind), each becomes a message that stops the
//! run, which then ends as `cancelled` like the window's Stop.

use crossbeam_channel::{Receiver, bounded};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};

/// How long a stopped run may take to end before `run` gives up on it: cancelled, report
/// written, scratch copies removed, exit 130, whatever the guest is still doing.
pub const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// The signals that stop a run, as messages, while this lives.
pub struct Interrupts {
    /// One message per signal received (its number).
    pub received: Receiver<i32>,
    handle: Handle,
}

impl Interrupts {
    /// Catches SIGINT, SIGTERM and SIGHUP from now on.
    pub fn listen() -> std::io::Result<Self> {
        let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP])?;
        let handle = signals.handle();
        let (sender, received) = bounded(4);
        std::thread::Builder::new()
            .name("wasmscope-signals".to_owned())
            .spawn(move || {
                for signal in signals.forever() {
                    // A full channel already holds a stop and a second one (give up).
                    let _ = sender.try_send(signal);
                }
            })?;
        Ok(Self { received, handle })
    }
}

impl Drop for Interrupts {
    fn drop(&mut self) {
        self.handle.close();
    }
}
