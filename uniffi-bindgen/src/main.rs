//! The pinned `uniffi-bindgen`: same version as the `uniffi` the bindings link, so the
//! generated code and the library always agree on the FFI contract.
fn main() {
    uniffi::uniffi_bindgen_main()
}
