//! The sandbox written out for elsewhere: TOML sandbox profiles ([`profile`]), the same
//! sandbox as another runtime's command ([`copy_as`]) or as a Rust program ([`embed`]), and a
//! run's report as one HTML page for a browser ([`html`]), with the sandbox map ([`map`]) in it.

pub mod copy_as;
pub mod embed;
pub mod html;
pub mod map;
pub mod profile;
