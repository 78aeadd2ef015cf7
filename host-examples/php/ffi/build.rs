//! Links the library `-z nodelete`: it starts threads that live as long as the process (the
//! epoch ticker of the shared engine, the I/O runtime's worker), and keeps the engine and
//! the compiled component for the process's later handles. PHP's FFI `dlclose`s a library
//! bound by `FFI::cdef` when the request that bound it ends; unmapped under those threads,
//! the next wake-up of either would jump into nothing. Marked this way, `dlclose` leaves it
//! loaded, and the next request's `dlopen` finds it as it was.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    }
}
