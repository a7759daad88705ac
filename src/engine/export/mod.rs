//! The sandbox written out for elsewhere: TOML sandbox profiles ([`profile`]), the same
//! sandbox as another runtime's command ([`copy_as`]) or as a Rust program ([`embed`]).

pub mod copy_as;
pub mod embed;
pub mod profile;
