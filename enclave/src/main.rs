//! `heirloom-enclave`: the reference enclave receiver (work in progress; see issue 5).

fn main() {
    println!("heirloom-enclave: not ready yet");
}
