//! The sandbox written out for elsewhere: TOML sandbox profiles ([`profile`]), the same
//! sandbox as another runtime's command ([`copy_as`]) or as a Rust program ([`embed`]), and a
//! run's report as one HTML page for a browser ([`html`]).

pub mod copy_as;
pub mod embed;
pub mod html;
pub mod profile;
