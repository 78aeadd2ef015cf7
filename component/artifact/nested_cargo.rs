// What a nested cargo build must not inherit from the outer one: its flags, its
// wrappers (clippy's, coverage's), its target directory and target, its jobserver.
// The component's build (`build.rs`) and the Spin shop-app's in the tests
// (`tests/tests/spin_compose.rs`) both remove these; both `include!` this file, since
// a build script cannot use a library.
const NESTED_CARGO_CLEARS: [&str; 9] = [
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_PROFILE_RELEASE_DEBUG",
    "CARGO_MAKEFLAGS",
    "CARGO_PRIMARY_PACKAGE",
];
