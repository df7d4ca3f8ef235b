//! With the `split` feature, the app's wasm keeps its relocations (`--emit-relocs`): wasm-split-cli
//! needs them to cut the module at its split points (src/lazy.rs, scripts/wasm-split.sh).
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "wasm32");
    if wasm && std::env::var_os("CARGO_FEATURE_SPLIT").is_some() {
        println!("cargo:rustc-link-arg-bin=workbench=--emit-relocs");
    }
}
