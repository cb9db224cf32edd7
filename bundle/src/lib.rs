//! The WebAssembly module of weavz-connect's npm package and script-tag builds (`cargo
//! xtask build`, one feature per package: `core`, `full`, `panel`). Not published: it only
//! links the widget crate (whose `#[wasm_bindgen]` exports become this module's) and, for the
//! core and full builds, chooses a smaller global allocator — a choice a library must not
//! make for the Rust apps that depend on it.
//!
//! ```text
//! cargo build -p weavz-connect-bundle --release --target wasm32-unknown-unknown --features full
//! # then wasm-bindgen, wasm-opt and esbuild: `cargo xtask build` does all of it
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub use weavz_connect;

/// A free list instead of dlmalloc (feature `small-alloc`); the lock is never contended, a
/// page's WebAssembly runs on one thread. Memory stays flat over 1,000 flows (`cargo xtask
/// bench`, leak check).
#[cfg(all(feature = "small-alloc", target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());
