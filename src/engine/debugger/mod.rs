//! Debug mode's machinery: the debug handler of one run ([`session`], with [`Debugger`] that
//! installs it) and reading a stopped guest's frames, globals and memory ([`capture`]). What
//! they produce and are told (values, breakpoints, the paused state, commands) is data in
//! [`crate::engine::debug`], below the sandbox that carries it.

pub mod capture;
pub(crate) mod counting;
pub mod session;
pub(crate) mod travel;
pub(crate) mod writes;

pub use session::Debugger;
