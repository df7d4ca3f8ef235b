//! Entry point of the sandbox Web Worker (built by Trunk as `data-type="worker"`); see
//! `sandbox::worker` for the message protocol.

fn main() {
    if let Err(e) = sandbox::worker::run() {
        web_sys::console::error_1(&e);
    }
}
